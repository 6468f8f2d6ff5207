import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Agent } from 'undici';
import { BerthError } from '../errors.ts';
import { fingerprintOfDer } from './self-signed-certificate.ts';

/**
 * An undici dispatcher for a self-signed peer: the chain is not checked against any CA;
 * instead the leaf certificate's SHA-256 must equal the pinned fingerprint, checked before a
 * byte of the request is written.
 */
export function pinnedAgent(
  fingerprint: string,
  options: { connectTimeoutMs?: number } = {},
): Agent {
  const expected = fingerprint.toLowerCase();
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  return new Agent({
    connect: (opts, callback) => {
      const socket: TLSSocket = tlsConnect({
        host: opts.hostname,
        port: Number(opts.port) || 443,
        servername: opts.servername ?? undefined,
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
      });
      const timer = setTimeout(() => {
        socket.destroy();
        callback(
          new BerthError(
            'HOST_UNREACHABLE',
            `no TLS handshake with ${opts.hostname}:${opts.port} within ${connectTimeoutMs} ms`,
          ),
          null,
        );
      }, connectTimeoutMs);
      const onError = (error: Error): void => {
        clearTimeout(timer);
        callback(error, null);
      };
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        const actual = fingerprintOfDer(socket.getPeerCertificate().raw);
        if (actual !== expected) {
          socket.destroy();
          callback(
            new BerthError(
              'TLS_PINNING_FAILED',
              `certificate of ${opts.hostname}:${opts.port} is ${actual}, pinned ${expected}`,
            ),
            null,
          );
          return;
        }
        callback(null, socket);
      });
    },
  });
}
