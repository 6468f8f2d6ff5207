import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { UpstreamRequest } from './upstream-call.ts';

/**
 * The request head as the app gets it: `hostLine` (`host: …\r\n`) stands in for a Host the
 * client did not send, and a body without length is declared chunked.
 */
export function requestHead(request: UpstreamRequest, hostLine: string): string {
  let head = `${request.method} ${request.path} HTTP/1.1\r\n`;
  const { headers } = request;
  for (let i = 0; i < headers.length; i += 2) {
    head += `${headers[i] ?? ''}: ${headers[i + 1] ?? ''}\r\n`;
  }
  if (!request.hasHost) head += hostLine;
  if (request.isBodyChunked) head += 'transfer-encoding: chunked\r\n';
  return `${head}\r\n`;
}

/** What the writer reports back to the connection carrying the request. */
export interface BodyWriteEvents {
  /** A piece went out: the app's time to answer runs from the last byte it was sent. */
  onProgress(): void;
  onEnd(): void;
  onError(error: Error): void;
}

/**
 * Streams a client's request body onto an app connection, chunk-encoded when it has no declared
 * length, pausing the client while the socket's buffer is full. Returns a function that stops
 * it (the app answered early, or the connection closed); no event follows a stop.
 */
export function writeRequestBody(
  body: Readable,
  socket: Socket,
  isChunked: boolean,
  events: BodyWriteEvents,
): () => void {
  const onData = (chunk: Buffer): void => {
    if (chunk.length === 0) return;
    events.onProgress();
    if (isChunked) {
      // All three go out whatever write() says: it only asks to pause after this chunk.
      socket.write(`${chunk.length.toString(16)}\r\n`);
      socket.write(chunk);
    }
    if (!socket.write(isChunked ? '\r\n' : chunk)) body.pause();
  };
  const onDrain = (): void => {
    body.resume();
  };
  const onEnd = (): void => {
    stop();
    if (isChunked) socket.write('0\r\n\r\n');
    events.onEnd();
  };
  const onError = (error: Error): void => {
    stop();
    events.onError(error);
  };
  const stop = (): void => {
    body.off('data', onData);
    body.off('end', onEnd);
    body.off('error', onError);
    socket.off('drain', onDrain);
  };
  body.on('data', onData);
  body.once('end', onEnd);
  body.once('error', onError);
  socket.on('drain', onDrain);
  return stop;
}
