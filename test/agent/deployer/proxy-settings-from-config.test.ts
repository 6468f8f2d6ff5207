import { describe, expect, it } from 'vitest';
import { routeRequestFor } from '../../../agent/deployer/host-plan.ts';
import { parseSwitchServiceRequest } from '../../../agent/proxy/admin-schema.ts';
import {
  deployConfigSchema,
  loadDeployConfig,
  type DeployConfigInput,
} from '../../../shared/config/deploy-config.ts';
import { buildRoleManifests } from '../../../shared/config/release-from-config.ts';
import { roleProxySchema } from '../../../shared/manifest/schema.ts';
import { rejection } from '../../shared/berth-error.ts';
import { configFile } from '../../shared/config/config-files.ts';

const base = { service: 'demo', image: 'registry.example.com/acme/demo' };
const config = (input: Partial<DeployConfigInput>) =>
  deployConfigSchema.parse({ ...base, servers: ['app-1'], ...input });

/** config/deploy.yml `forward_headers` → manifest `forwardHeaders` → the proxy route. */
describe('forward_headers from deploy config to proxy route', () => {
  it('carries the root setting and a role override, and nothing when unset', () => {
    const { roles } = buildRoleManifests(
      config({
        proxy: { host: 'app.example.com', forward_headers: true },
        servers: {
          web: { hosts: ['app-1'] },
          api: {
            hosts: ['app-1'],
            proxy: { host: 'api.example.com', forward_headers: false },
          },
        },
      }),
    );
    const routeOf = (role: string) =>
      routeRequestFor(roleProxySchema.parse(roles[role]?.proxy), '10.0.0.2:80');
    expect(routeOf('web').forwardHeaders).toBe(true);
    expect(routeOf('api').forwardHeaders).toBe(false);
    expect(parseSwitchServiceRequest(routeOf('api')).ok).toBe(true);

    const unset = buildRoleManifests(config({})).roles.web?.proxy;
    expect(unset).not.toHaveProperty('forwardHeaders');
    expect(routeRequestFor(roleProxySchema.parse(unset), '10.0.0.2:80')).not.toHaveProperty(
      'forwardHeaders',
    );
  });

  it('refuses a value that is not true or false, naming the key', async () => {
    const path = await configFile({
      ...base,
      servers: ['app-1'],
      proxy: { forward_headers: 'yes' },
    });
    const error = await rejection(loadDeployConfig(path));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('proxy.forward_headers');
  });
});

/** config/deploy.yml `buffering` → manifest `bufferRequests`/`bufferMemoryBytes` → the route. */
describe('request buffering from deploy config to proxy route', () => {
  it('is on with 1 MiB by default, and follows the root setting and a role override', () => {
    const unset = buildRoleManifests(config({})).roles.web?.proxy;
    expect(unset).not.toHaveProperty('bufferRequests');
    expect(routeRequestFor(roleProxySchema.parse(unset), '10.0.0.2:80').requestBuffering).toEqual({
      memoryBytes: 1024 * 1024,
    });

    const { roles } = buildRoleManifests(
      config({
        proxy: { buffering: { memory: 65_536 } },
        servers: {
          web: { hosts: ['app-1'] },
          stream: {
            hosts: ['app-1'],
            proxy: { path_prefix: '/s', buffering: { requests: false } },
          },
        },
      }),
    );
    const routeOf = (role: string) =>
      routeRequestFor(roleProxySchema.parse(roles[role]?.proxy), '10.0.0.2:80');
    expect(routeOf('web').requestBuffering).toEqual({ memoryBytes: 65_536 });
    expect(routeOf('stream')).not.toHaveProperty('requestBuffering');
    expect(parseSwitchServiceRequest(routeOf('web')).ok).toBe(true);
  });

  it("refuses Kamal's response buffering, naming the key", async () => {
    const path = await configFile({
      ...base,
      servers: ['app-1'],
      proxy: { buffering: { responses: true } },
    });
    const error = await rejection(loadDeployConfig(path));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('proxy.buffering');
  });
});

/** config/deploy.yml `max_request_body` → manifest `maxRequestBodyBytes` → the proxy route. */
describe('request body limit from deploy config to proxy route', () => {
  it('carries the root limit, a role override, and no limit when unset', () => {
    const { roles } = buildRoleManifests(
      config({
        proxy: { max_request_body: 1_000_000 },
        servers: {
          web: { hosts: ['app-1'] },
          uploads: {
            hosts: ['app-1'],
            proxy: { path_prefix: '/up', max_request_body: 50_000_000 },
          },
        },
      }),
    );
    const routeOf = (role: string) =>
      routeRequestFor(roleProxySchema.parse(roles[role]?.proxy), '10.0.0.2:80');
    expect(routeOf('web').maxRequestBodyBytes).toBe(1_000_000);
    expect(routeOf('uploads').maxRequestBodyBytes).toBe(50_000_000);
    expect(parseSwitchServiceRequest(routeOf('uploads')).ok).toBe(true);

    const unlimited = buildRoleManifests(config({})).roles.web?.proxy;
    expect(unlimited).not.toHaveProperty('maxRequestBodyBytes');
    expect(routeRequestFor(roleProxySchema.parse(unlimited), '10.0.0.2:80')).not.toHaveProperty(
      'maxRequestBodyBytes',
    );
  });

  it('refuses a limit that is not a positive whole number, naming the key', async () => {
    const path = await configFile({ ...base, servers: ['app-1'], proxy: { max_request_body: 0 } });
    const error = await rejection(loadDeployConfig(path));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('proxy.max_request_body');
  });
});

/** config/deploy.yml `logging` → manifest `logRequestHeaders`/`logResponseHeaders` → the route. */
describe('logged headers from deploy config to proxy route', () => {
  it("logs Kamal's request headers by default, and follows the root setting and a role override", () => {
    const { roles } = buildRoleManifests(
      config({
        proxy: { host: 'app.example.com', logging: { response_headers: ['Cache-Control'] } },
        servers: {
          web: { hosts: ['app-1'] },
          api: {
            hosts: ['app-1'],
            proxy: { host: 'api.example.com', logging: { request_headers: ['X-Trace'] } },
          },
        },
      }),
    );
    const routeOf = (role: string) =>
      routeRequestFor(roleProxySchema.parse(roles[role]?.proxy), '10.0.0.2:80');
    expect(routeOf('web').logRequestHeaders).toEqual([
      'Cache-Control',
      'Last-Modified',
      'User-Agent',
    ]);
    expect(routeOf('web').logResponseHeaders).toEqual(['Cache-Control']);
    expect(routeOf('api').logRequestHeaders).toEqual(['X-Trace']);
    expect(routeOf('api').logResponseHeaders).toEqual(['Cache-Control']);
    expect(parseSwitchServiceRequest(routeOf('api')).ok).toBe(true);
    expect(buildRoleManifests(config({})).roles.web?.proxy).not.toHaveProperty('logRequestHeaders');
  });

  it('refuses a header name that is not one, naming the key', async () => {
    const path = await configFile({
      ...base,
      servers: ['app-1'],
      proxy: { logging: { request_headers: ['User Agent'] } },
    });
    const error = await rejection(loadDeployConfig(path));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('proxy.logging.request_headers.0');
  });
});
