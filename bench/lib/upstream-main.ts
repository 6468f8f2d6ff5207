import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The benchmark's app: a keep-alive node:http server answering every request with a small
 * body. Run in its own process; prints `{"port":N}` once listening.
 */
const body = Buffer.from('hello from the upstream\n');
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
