import { describe, expect, it } from 'vitest';
import { parseProxyArguments } from '../../../../agent/proxy/run-proxy.ts';
import { BerthError } from '../../../../shared/errors.ts';

const base = ['--socket', '/s', '--state', '/t'];

describe('berth-agent proxy HTTPS flags', () => {
  it('leaves HTTPS off without --https-port, or with 0', () => {
    expect(parseProxyArguments(base).https).toBeUndefined();
    expect(parseProxyArguments([...base, '--https-port', '0']).https).toBeUndefined();
  });

  it('defaults to Let’s Encrypt production, renewing 30 days ahead, on the HTTP host', () => {
    expect(
      parseProxyArguments([...base, '--http-host', '10.0.0.5', '--https-port', '443']).https,
    ).toEqual({
      port: 443,
      host: '10.0.0.5',
      acme: {
        directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
        renewBeforeDays: 30,
      },
    });
  });

  it('reads every ACME flag', () => {
    const args = parseProxyArguments([
      ...base,
      ...['--https-port', '8443', '--https-host', '127.0.0.1'],
      ...['--acme-directory', 'https://127.0.0.1:14000/dir', '--acme-email', 'ops@example.com'],
      ...['--acme-ca-file', '/etc/pebble.pem', '--acme-renew-before-days', '45'],
    ]);
    expect(args.https).toEqual({
      port: 8443,
      host: '127.0.0.1',
      acme: {
        directoryUrl: 'https://127.0.0.1:14000/dir',
        email: 'ops@example.com',
        caFilePath: '/etc/pebble.pem',
        renewBeforeDays: 45,
      },
    });
  });

  it.each([
    [['--acme-email', 'a@b.c'], /--acme-email need --https-port/],
    [['--https-port', '70000'], /--https-port must be a port number/],
    [['--https-port', '443', '--acme-directory', 'http://ca/dir'], /https:\/\/ URL/],
    [['--https-port', '443', '--acme-renew-before-days', 'soon'], /positive number/],
  ])('rejects %j as USAGE', (argv, message) => {
    expect(() => parseProxyArguments([...base, ...argv])).toThrow(BerthError);
    expect(() => parseProxyArguments([...base, ...argv])).toThrow(message);
  });
});
