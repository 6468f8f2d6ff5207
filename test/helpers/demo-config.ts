import { DEMO_APP_PORT } from './demo-image.ts';

/** A config/deploy.yml for the demo app on the given hosts, with fast health checks for tests. */
export function demoConfig(options: {
  service: string;
  repository: string;
  hosts: string[];
  drainTimeout?: number;
  deployTimeout?: number;
  extra?: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    service: options.service,
    image: options.repository,
    servers: { web: options.hosts },
    proxy: {
      app_port: DEMO_APP_PORT,
      healthcheck: { path: '/up', interval: 0.2, timeout: 2 },
    },
    deploy_timeout: options.deployTimeout ?? 20,
    drain_timeout: options.drainTimeout ?? 10,
    ...options.extra,
  };
}
