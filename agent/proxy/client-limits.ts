/** How long the proxy waits on clients, so a slow or idle one cannot hold a connection forever. */
export interface ClientLimits {
  /** A request's whole head must arrive within this; a client trickling headers gets 408. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (408 after). */
  requestTimeoutMs: number;
  /** A keep-alive connection idle between requests is closed after this. */
  keepAliveTimeoutMs: number;
}

export const defaultClientLimits: ClientLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 60_000,
};
