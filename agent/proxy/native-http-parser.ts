import { createRequire } from 'node:module';

/** The subset of node's native parser binding Berth drives. */
export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  finish(): Error | undefined;
  close(): void;
  /** Reads straight from a libuv or TLS stream handle, reporting each read to `kOnExecute`. */
  consume(handle: object): void;
  unconsume(): void;
  /** A copy of the read being reported to `kOnExecute`. */
  getCurrentBuffer(): Buffer;
  [callback: number]: unknown;
}

interface NativeParserClass {
  new (): NativeParser;
  readonly REQUEST: number;
  readonly RESPONSE: number;
  readonly kOnMessageBegin: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kOnExecute: number;
  readonly kLenientNone: number;
}

const common = createRequire(import.meta.url)('_http_common') as {
  HTTPParser: NativeParserClass;
  methods: string[];
};

/**
 * node:http's own HTTP/1.1 parser (llhttp compiled in), reached through `_http_common`. It is not
 * a documented API, but it is the parser every node:http server and client uses, strict, and
 * several times cheaper per message than undici's WebAssembly build of the same parser. Berth's
 * bundle ships the Node it was tested with, so the binding cannot change under a release; the
 * front and upstream-pool tests fail first if a Node upgrade changes it.
 */
export const NativeHttpParser = common.HTTPParser;

/** Request methods by the index the parser reports them with. */
export const parserMethods: readonly string[] = common.methods;

/** At most this many bytes of head per message (node:http's default). */
export const maxHeaderBytes = 16 * 1024;

/** Frees a native parser once the stack holding any of its callbacks has unwound. */
export function closeLater(native: NativeParser): void {
  setImmediate(() => native.close());
}
