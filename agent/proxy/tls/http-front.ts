import type { ClientRequestListener, ClientUpgradeListener } from '../client-exchange.ts';
import { hostHeaderOf } from '../forwarded-headers.ts';
import type { AcmeChallenges } from './acme-challenges.ts';
import type { TlsManager } from './tls-manager.ts';

/**
 * The plain-HTTP listener's first steps: answer HTTP-01 challenges (whatever the host's
 * redirect says), then 301 to HTTPS where the host's route asks for it and a certificate
 * exists, else hand over to routing.
 */
export function httpFrontHandler(
  next: ClientRequestListener,
  challenges: AcmeChallenges,
  tls: TlsManager,
): ClientRequestListener {
  return (req, res) => {
    const { url } = req;
    if (challenges.answer(url, res)) return;
    const location = tls.redirectLocation(hostHeaderOf(req.rawHeaders), url);
    if (location === undefined) {
      next(req, res);
      return;
    }
    res.writeHead(301, { location, 'content-length': 0, 'cache-control': 'no-store' });
    res.end();
  };
}

/** The same redirect for upgrade requests (ws:// to a host that wants wss://). */
export function httpFrontUpgrade(
  next: ClientUpgradeListener,
  tls: TlsManager,
): ClientUpgradeListener {
  return (req, socket, head) => {
    const location = tls.redirectLocation(hostHeaderOf(req.rawHeaders), req.url);
    if (location === undefined) {
      next(req, socket, head);
      return;
    }
    socket.on('error', () => socket.destroy());
    socket.end(
      `HTTP/1.1 301 Moved Permanently\r\nlocation: ${location}\r\ncontent-length: 0\r\n` +
        'connection: close\r\n\r\n',
    );
  };
}
