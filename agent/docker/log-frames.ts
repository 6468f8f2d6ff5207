const frameHeaderBytes = 8;
const streamIds = new Set([0, 1, 2]);

/**
 * Splits what `GET /containers/{id}/logs` returns into lines, oldest first. Without a TTY the
 * engine multiplexes stdout and stderr into frames (1 byte stream id, 3 zero bytes, 4 bytes
 * big-endian length); a TTY container's log is raw text, recognised by not looking like frames.
 */
export function logLinesFrom(payload: Buffer): string[] {
  const text = isMultiplexed(payload) ? demultiplex(payload) : payload.toString('utf8');
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function isMultiplexed(payload: Buffer): boolean {
  if (payload.length < frameHeaderBytes) return false;
  let offset = 0;
  while (offset + frameHeaderBytes <= payload.length) {
    const isHeader =
      streamIds.has(payload.readUInt8(offset)) &&
      payload.readUInt8(offset + 1) === 0 &&
      payload.readUInt8(offset + 2) === 0 &&
      payload.readUInt8(offset + 3) === 0;
    if (!isHeader) return false;
    offset += frameHeaderBytes + payload.readUInt32BE(offset + 4);
  }
  return offset === payload.length;
}

/** Frames hold whole log lines (json-file stores one entry per line), so joining keeps the order. */
function demultiplex(payload: Buffer): string {
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset + frameHeaderBytes <= payload.length) {
    const length = payload.readUInt32BE(offset + 4);
    const start = offset + frameHeaderBytes;
    chunks.push(payload.subarray(start, start + length));
    offset = start + length;
  }
  return Buffer.concat(chunks).toString('utf8');
}
