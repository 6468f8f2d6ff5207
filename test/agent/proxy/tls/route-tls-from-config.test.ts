import { describe, expect, it } from 'vitest';
import { routeRequestFor } from '../../../../agent/deployer/host-plan.ts';
import { parseSwitchServiceRequest } from '../../../../agent/proxy/admin-schema.ts';
import {
  deployConfigSchema,
  type DeployConfigInput,
} from '../../../../shared/config/deploy-config.ts';
import {
  buildRoleManifests,
  secretNamesOf,
} from '../../../../shared/config/release-from-config.ts';
import { roleProxySchema } from '../../../../shared/manifest/schema.ts';
import { createSelfSignedCertificate } from '../../../../shared/tls/self-signed-certificate.ts';

const base = { service: 'demo', image: 'registry.example.com/acme/demo' };
const config = (input: Partial<DeployConfigInput>) =>
  deployConfigSchema.parse({ ...base, servers: ['app-1'], ...input });

/** config/deploy.yml `ssl` → manifest `tls` → the proxy route's `tls`. */
describe('TLS from deploy config to proxy route', () => {
  it('maps ssl: true to ACME with redirect on and no HSTS by default', () => {
    const { roles } = buildRoleManifests(config({ proxy: { host: 'app.example.com', ssl: true } }));
    const proxy = roles.web?.proxy;
    expect(proxy?.tls).toEqual({ mode: 'acme', redirectHttp: true, hstsMaxAgeSeconds: 0 });
    const route = routeRequestFor(roleProxySchema.parse(proxy), '10.0.0.2:80');
    expect(route.tls).toEqual({ mode: 'acme', redirectHttp: true, hstsMaxAgeSeconds: 0 });
    expect(parseSwitchServiceRequest(route).ok).toBe(true);
  });

  it('lets a role override ssl_redirect and hsts, and leaves TLS off without ssl', () => {
    const { roles } = buildRoleManifests(
      config({
        proxy: { host: 'app.example.com', ssl: true, hsts: 600 },
        servers: {
          web: { hosts: ['app-1'], proxy: { ssl_redirect: false } },
          api: { hosts: ['app-1'], proxy: { host: 'api.example.com', ssl: false } },
        },
      }),
    );
    expect(roles.web?.proxy?.tls).toEqual({
      mode: 'acme',
      redirectHttp: false,
      hstsMaxAgeSeconds: 600,
    });
    expect(roles.api?.proxy?.tls).toBeUndefined();
  });

  it('takes a custom certificate from the named secrets, which deploy loads', async () => {
    const deployConfig = config({
      proxy: {
        host: 'app.example.com',
        ssl: { certificate_pem: 'APP_CERT_PEM', private_key_pem: 'APP_KEY_PEM' },
      },
    });
    expect(secretNamesOf(deployConfig)).toEqual(['APP_CERT_PEM', 'APP_KEY_PEM']);
    const proxy = roleProxySchema.parse(buildRoleManifests(deployConfig).roles.web?.proxy);
    expect(proxy.tls).toMatchObject({
      mode: 'custom',
      certificatePemSecret: 'APP_CERT_PEM',
      privateKeyPemSecret: 'APP_KEY_PEM',
    });
    const certificate = await createSelfSignedCertificate({
      commonName: 'app.example.com',
      dnsNames: ['app.example.com'],
    });
    const route = routeRequestFor(proxy, '10.0.0.2:80', {
      APP_CERT_PEM: certificate.certPem,
      APP_KEY_PEM: certificate.keyPem,
    });
    expect(route.tls).toMatchObject({
      mode: 'custom',
      certificatePem: certificate.certPem,
      privateKeyPem: certificate.keyPem,
    });
    expect(parseSwitchServiceRequest(route).ok).toBe(true);
  });

  it('refuses TLS on a catch-all route in the manifest', () => {
    const result = roleProxySchema.safeParse({ hosts: [], tls: { mode: 'acme' } });
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      'TLS needs at least one host',
    ]);
  });
});
