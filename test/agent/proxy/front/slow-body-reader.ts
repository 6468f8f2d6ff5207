import { createHash } from 'node:crypto';
import type { ClientRequest, ClientResponse } from '../../../../agent/proxy/client-exchange.ts';
import { answerText, sleep } from './front-harness.ts';

/** How far the socket read ahead of a slow body reader: before it began, and at most. */
export interface ReadAhead {
  beforeReading: number;
  max: number;
}

/** A 4 MiB body counting up every 4 bytes, so a lost or reordered piece changes its digest. */
export function countingBody(): Buffer {
  const body = Buffer.alloc(4 * 1024 * 1024);
  for (let i = 0; i < body.length; i += 4) body.writeUInt32BE(i, i);
  return body;
}

/** `<length> <sha256 hex>`: what `slowBodyReader` answers for `body`. */
export function bodyDigest(body: Buffer): string {
  return `${body.length} ${createHash('sha256').update(body).digest('hex')}`;
}

/**
 * A handler that starts reading the body after 300 ms, then pauses 5 ms every 8 chunks, records
 * in `readAheads` how far the socket's reads ran ahead of it, and answers `bodyDigest`.
 */
export function slowBodyReader(readAheads: ReadAhead[]) {
  return (req: ClientRequest, res: ClientResponse): void => {
    const socket = req.socket as { readonly bytesRead: number };
    setTimeout(async () => {
      const beforeReading = socket.bytesRead;
      let max = 0;
      let consumed = 0;
      let count = 0;
      const hash = createHash('sha256');
      for await (const chunk of req.body) {
        consumed += (chunk as Buffer).length;
        hash.update(chunk as Buffer);
        max = Math.max(max, socket.bytesRead - consumed);
        if (++count % 8 === 0) await sleep(5);
      }
      readAheads.push({ beforeReading, max });
      answerText(`${consumed} ${hash.digest('hex')}`)(req, res);
    }, 300);
  };
}
