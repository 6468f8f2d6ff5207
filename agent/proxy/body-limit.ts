import type { IncomingMessage } from 'node:http';
import { Transform, type Readable } from 'node:stream';

/** The body stream failed because it passed the route's limit; the client gets 413. */
export class BodyTooLargeError extends Error {
  readonly code = 'BERTH_BODY_TOO_LARGE';

  constructor(maxBytes: number) {
    super(`request body over ${maxBytes} bytes`);
  }
}

/** Whether a declared Content-Length already breaks the limit (0 = unlimited). */
export function isDeclaredBodyTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  if (maxBytes === 0) return false;
  const declared = req.headers['content-length'];
  return declared !== undefined && Number(declared) > maxBytes;
}

/**
 * The request body to forward. A body without Content-Length (chunked) is counted as it
 * streams and fails with BodyTooLargeError past `maxBytes`; a declared length was checked
 * before forwarding and Node enforces it, so that body passes through as is.
 */
export function limitedBody(req: IncomingMessage, maxBytes: number): Readable {
  if (maxBytes === 0 || req.headers['content-length'] !== undefined) return req;
  let seenBytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seenBytes += chunk.length;
      if (seenBytes > maxBytes) {
        req.unpipe(counted);
        // Keep reading and discarding, so the socket closes cleanly after the 413.
        req.resume();
        done(new BodyTooLargeError(maxBytes));
        return;
      }
      done(null, chunk);
    },
  });
  req.on('error', (error) => counted.destroy(error));
  return req.pipe(counted);
}
