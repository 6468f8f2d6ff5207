import type { SwitchServiceRequest } from '../../agent/proxy/admin-protocol.ts';
import { ProxyClient } from '../../agent/proxy/proxy-client.ts';

/** A route to `target` as a deploy sets it up. */
function benchRoute(target: string): SwitchServiceRequest {
  return {
    hosts: [],
    pathPrefix: '/',
    stripPathPrefix: true,
    target,
    healthCheckPath: '/',
    responseTimeoutMs: 30_000,
    // As a deploy sets it: the bench's GETs have no body, so this costs a header check.
    requestBuffering: { memoryBytes: 1024 * 1024 },
  };
}

async function switchService(
  socketPath: string,
  name: string,
  request: SwitchServiceRequest,
): Promise<void> {
  const client = new ProxyClient(socketPath);
  try {
    await client.switchService(name, request);
  } finally {
    await client.close();
  }
}

/** Routes every host to `target`. */
export function routeEverythingTo(socketPath: string, target: string): Promise<void> {
  return switchService(socketPath, 'bench', benchRoute(target));
}

/** Routes 127.0.0.1 and localhost to `target` over TLS with the bench's certificate. */
export function routeTlsTo(
  socketPath: string,
  target: string,
  certificate: { certPem: string; keyPem: string },
): Promise<void> {
  return switchService(socketPath, 'bench-tls', {
    ...benchRoute(target),
    hosts: ['127.0.0.1', 'localhost'],
    tls: {
      mode: 'custom',
      certificatePem: certificate.certPem,
      privateKeyPem: certificate.keyPem,
      redirectHttp: false,
      hstsMaxAgeSeconds: 0,
    },
  });
}
