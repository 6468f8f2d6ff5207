import { Transform, type Readable } from 'node:stream';
import type { BodyFraming } from './forwarded-headers.ts';

/** The body stream failed because it passed the route's limit; the client gets 413. */
export class BodyTooLargeError extends Error {
  readonly code = 'BERTH_BODY_TOO_LARGE';

  constructor(maxBytes: number) {
    super(`request body over ${maxBytes} bytes`);
  }
}

/**
 * The request body to forward. A body without Content-Length (chunked) is counted as it
 * streams and fails with BodyTooLargeError past `maxBytes`; a declared length was checked
 * before forwarding and the parser holds the body to it, so that body passes through as is.
 */
export function limitedBody(body: Readable, framing: BodyFraming, maxBytes: number): Readable {
  if (maxBytes === 0 || framing === 'length') return body;
  let seenBytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seenBytes += chunk.length;
      if (seenBytes > maxBytes) {
        body.unpipe(counted);
        // Keep reading and discarding, so the socket closes cleanly after the 413.
        body.resume();
        done(new BodyTooLargeError(maxBytes));
        return;
      }
      done(null, chunk);
    },
  });
  body.on('error', (error) => counted.destroy(error));
  return body.pipe(counted);
}
