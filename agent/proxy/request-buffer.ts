import { PassThrough, Readable } from 'node:stream';

/** A request body read ahead of the app: all of it, or a first part and the rest still coming. */
export type BufferedBody =
  | { readonly isWhole: true; readonly data: Buffer }
  | { readonly isWhole: false; readonly body: Readable };

/**
 * Reads a client's request body before the app sees the request, so a slow client holds a
 * proxy connection rather than one of the app's workers (Kamal's `buffering.requests`). Up to
 * `memoryBytes` is held in memory; a body still arriving past that is streamed on as it comes
 * instead of spilling to disk, so no request body (which may hold passwords) is ever written
 * out. Rejects with the body's own error (a body over the route's limit, a client that left).
 */
export function bufferRequestBody(body: Readable, memoryBytes: number): Promise<BufferedBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= memoryBytes) return;
      stop();
      body.pause();
      resolve({ isWhole: false, body: prefixed(chunks, body) });
    };
    const onEnd = (): void => {
      stop();
      resolve({ isWhole: true, data: Buffer.concat(chunks, size) });
    };
    const onError = (error: Error): void => {
      stop();
      reject(error);
    };
    const stop = (): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
    };
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('error', onError);
  });
}

/** What was read so far, then the rest of `rest` as it arrives; its error ends the stream. */
function prefixed(prefix: Buffer[], rest: Readable): Readable {
  const joined = new PassThrough();
  for (const chunk of prefix) joined.write(chunk);
  rest.once('error', (error) => joined.destroy(error));
  rest.pipe(joined);
  return joined;
}

/** The whole body as a stream for the upstream request. */
export function bodyStreamOf(data: Buffer): Readable {
  return Readable.from([data], { objectMode: false });
}
