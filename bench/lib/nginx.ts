import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitForPort } from './ports.ts';

const nginxPath = '/usr/sbin/nginx';

export interface RunningNginx {
  port: number;
  /** Present when started with TLS. */
  tlsPort?: number;
  /** The master process; its workers are its children. */
  pid: number;
  stop(): Promise<void>;
}

/** A second, TLS-terminating listener with the same proxying as the plain one. */
export interface NginxTls {
  port: number;
  certificatePath: string;
  privateKeyPath: string;
}

/**
 * nginx as the reference reverse proxy: 2 workers, no access log, keep-alive to the upstream,
 * and the same forwarded headers Berth adds, so both do the same work per request; HTTP/2 on
 * the TLS listener.
 */
export async function startNginx(
  dir: string,
  port: number,
  upstreamPort: number,
  tls?: NginxTls,
): Promise<RunningNginx> {
  for (const temp of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    await mkdir(join(dir, temp), { recursive: true });
  }
  const configPath = join(dir, 'nginx.conf');
  await writeFile(
    configPath,
    `worker_processes 2;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')};
events { worker_connections 4096; }
http {
  access_log off;
  # nginx closes a connection after 1000 requests by default; h2load would not reconnect.
  keepalive_requests 10000000;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};${
      tls === undefined
        ? ''
        : `
    listen 127.0.0.1:${tls.port} ssl http2;
    ssl_certificate ${tls.certificatePath};
    ssl_certificate_key ${tls.privateKeyPath};
    ssl_session_cache shared:SSL:1m;`
    }
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Request-ID $request_id;
    }
  }
}
`,
  );
  const child = spawn(
    nginxPath,
    ['-c', configPath, '-p', dir, '-e', join(dir, 'error.log'), '-g', 'daemon off;'],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  const exited = once(child, 'exit');
  await Promise.race([
    Promise.all([waitForPort(port), tls === undefined ? undefined : waitForPort(tls.port)]),
    exited.then(() => Promise.reject(new Error(`nginx exited; see ${join(dir, 'error.log')}`))),
  ]);
  return {
    port,
    ...(tls === undefined ? {} : { tlsPort: tls.port }),
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // QUIT is nginx's graceful stop; the master waits for its workers before exiting.
      child.kill('SIGQUIT');
      await exited;
    },
  };
}
