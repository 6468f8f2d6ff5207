import { ProxyClient } from '../../agent/proxy/proxy-client.ts';

/** Routes every host to `target`, as a deploy would set the route up. */
export async function routeEverythingTo(socketPath: string, target: string): Promise<void> {
  const client = new ProxyClient(socketPath);
  try {
    await client.switchService('bench', {
      hosts: [],
      pathPrefix: '/',
      stripPathPrefix: true,
      target,
      healthCheckPath: '/',
      responseTimeoutMs: 30_000,
      // As a deploy sets it: the bench's GETs have no body, so this costs a header check.
      requestBuffering: { memoryBytes: 1024 * 1024 },
    });
  } finally {
    await client.close();
  }
}

/** Routes 127.0.0.1 and localhost to `target` over TLS with the bench's certificate. */
export async function routeTlsTo(
  socketPath: string,
  target: string,
  certificate: { certPem: string; keyPem: string },
): Promise<void> {
  const client = new ProxyClient(socketPath);
  try {
    await client.switchService('bench-tls', {
      hosts: ['127.0.0.1', 'localhost'],
      pathPrefix: '/',
      stripPathPrefix: true,
      target,
      healthCheckPath: '/',
      responseTimeoutMs: 30_000,
      // As a deploy sets it: the bench's GETs have no body, so this costs a header check.
      requestBuffering: { memoryBytes: 1024 * 1024 },
      tls: {
        mode: 'custom',
        certificatePem: certificate.certPem,
        privateKeyPem: certificate.keyPem,
        redirectHttp: false,
        hstsMaxAgeSeconds: 0,
      },
    });
  } finally {
    await client.close();
  }
}
