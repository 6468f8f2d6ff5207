import type { Socket } from 'node:net';
import { NativeHttpParser, type NativeParser } from '../native-http-parser.ts';

/** What the parser made of one read: bytes parsed, or the error; `data` is the read, if at hand. */
export type ReadResult = (result: number | Error, data: Buffer | undefined) => void;

/** The parts of a socket's libuv or TLS stream handle that node's own net and http code use. */
interface StreamHandle {
  readonly isStreamBase?: boolean;
  reading: boolean;
  readStart(): number;
  readStop(): number;
}

/**
 * Feeds a client socket's bytes to a native parser. When the socket sits on a libuv or TLS
 * stream, the parser reads from it directly, as node:http's server does: no Buffer, no stream
 * bookkeeping and no 'data' event per read, and no memory handed to GC threads to free. Bytes
 * the socket read before (during a TLS handshake), or a socket without such a handle, go
 * through 'data' events.
 */
export class SocketReader {
  readonly #socket: Socket;
  readonly #parser: NativeParser;
  readonly #onResult: ReadResult;
  /** Set while the parser reads from the handle itself. */
  #handle: StreamHandle | undefined;

  constructor(socket: Socket, parser: NativeParser, onResult: ReadResult) {
    this.#socket = socket;
    this.#parser = parser;
    this.#onResult = onResult;
    parser[NativeHttpParser.kOnExecute] = this.#onExecute;
    socket.on('data', this.#onData);
    const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
    if (handle?.isStreamBase === true) {
      parser.consume(handle);
      this.#handle = handle;
    }
  }

  /** `data` from byte `offset` on, or the rest of the read the parser just reported. */
  restOfRead(data: Buffer | undefined, offset: number): Buffer {
    return (data ?? this.#parser.getCurrentBuffer()).subarray(offset);
  }

  /** Stops reading from the client (more bytes of the read in progress may still come). */
  stop(): void {
    const handle = this.#handle;
    if (handle === undefined) {
      this.#socket.pause();
    } else if (handle.reading) {
      handle.reading = false;
      handle.readStop();
    }
  }

  start(): void {
    const handle = this.#handle;
    if (handle === undefined) {
      this.#socket.resume();
    } else if (!handle.reading) {
      handle.reading = true;
      handle.readStart();
    }
  }

  /** Hands the socket back to stream use: from now on its bytes come as 'data' events. */
  release(): void {
    this.#socket.off('data', this.#onData);
    if (this.#handle === undefined) return;
    this.start();
    this.#parser.unconsume();
    this.#handle = undefined;
  }

  readonly #onData = (data: Buffer): void => {
    this.#onResult(this.#parser.execute(data), data);
  };

  readonly #onExecute = (result: number | Error): void => {
    this.#onResult(result, undefined);
  };
}
