import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Duplex, Readable } from 'node:stream';

/** The client's end of the connection a request came in on. */
export interface ClientSocket {
  readonly remoteAddress?: string | undefined;
  /** True over TLS. */
  readonly encrypted?: boolean;
}

/**
 * A client request as routing reads it: from Berth's HTTP/1.1 front (plain or TLS) or, adapted,
 * from node's HTTP/2 server.
 */
export interface ClientRequest {
  readonly method: string;
  /** The request target as sent: origin form (`/path?q`) or absolute form. */
  readonly url: string;
  /** Flat name, value, name, value…, names as the client wrote them. */
  readonly rawHeaders: string[];
  /** Lowercased names, built on first read: the hot path reads `rawHeaders`. */
  readonly headers: IncomingHttpHeaders;
  readonly socket: ClientSocket;
  /** The body; read it only when the head says there is one. */
  readonly body: Readable;
}

/** The answer to a ClientRequest: the members of node's ServerResponse routing uses. */
export interface ClientResponse {
  statusCode: number;
  readonly headersSent: boolean;
  readonly destroyed: boolean;
  /** The whole response was handed to the connection. */
  readonly writableFinished: boolean;
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): this;
  writeHead(statusCode: number, statusMessage: string, headers: string[]): this;
  /** A header for the head `writeHead` sends; a header of the same name there replaces it. */
  setHeader(name: string, value: string): this;
  removeHeader(name: string): void;
  /** False when the connection is backed up: wait for 'drain'. */
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer | string): this;
  /** Cuts the exchange (and, over HTTP/1.1, the connection). */
  destroy(error?: Error): this;
  /** 'close' once the response is done or cut; 'drain' when writing may go on. */
  once(event: 'close' | 'drain', listener: () => void): this;
  off(event: 'close' | 'drain', listener: () => void): this;
}

export type ClientRequestListener = (req: ClientRequest, res: ClientResponse) => void;

/** An upgrade request (WebSocket): the socket is the listener's from here. */
export type ClientUpgradeListener = (req: ClientRequest, socket: Duplex, head: Buffer) => void;
