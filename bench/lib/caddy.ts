import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findOnPath } from './find-on-path.ts';
import { waitForPort } from './ports.ts';

export interface RunningCaddy {
  port: number;
  tlsPort: number;
  pid: number;
  stop(): Promise<void>;
}

/** The TLS listener's port and the bench's certificate and key (PEM files). */
export interface CaddyTls {
  port: number;
  certificatePath: string;
  privateKeyPath: string;
}

const stopTimeoutMs = 5_000;

/** The `caddy` binary on PATH (Debian's package puts it in /usr/bin), or undefined. */
export function findCaddy(): Promise<string | undefined> {
  return findOnPath('caddy');
}

/**
 * Caddy as a second reference proxy, set up like the nginx one: no access log, keep-alive to the
 * upstream, the same forwarded headers (Caddy sets X-Forwarded-For/-Proto/-Host itself; the
 * X-Request-ID is added here), HTTP/1.1 only, and GOMAXPROCS=2 to match nginx's 2 workers. No
 * automatic HTTPS, no ACME, no admin endpoint; HOME and XDG dirs point into `dir`, so it writes
 * nothing elsewhere.
 */
export async function startCaddy(
  caddyPath: string,
  dir: string,
  port: number,
  upstreamPort: number,
  tls: CaddyTls,
): Promise<RunningCaddy> {
  for (const sub of ['home', 'config', 'data', 'cache']) {
    await mkdir(join(dir, sub), { recursive: true });
  }
  const logPath = join(dir, 'caddy.log');
  const configPath = join(dir, 'caddy.json');
  await writeFile(configPath, `${JSON.stringify(caddyConfig(dir, port, upstreamPort, tls))}\n`);

  const log = await open(logPath, 'w');
  const child = spawn(caddyPath, ['run', '--config', configPath], {
    stdio: ['ignore', log.fd, log.fd],
    env: {
      ...process.env,
      HOME: join(dir, 'home'),
      XDG_CONFIG_HOME: join(dir, 'config'),
      XDG_DATA_HOME: join(dir, 'data'),
      XDG_CACHE_HOME: join(dir, 'cache'),
      GOMAXPROCS: '2',
    },
  });
  await log.close();
  const exited = once(child, 'exit');
  try {
    await Promise.race([
      Promise.all([waitForPort(port), waitForPort(tls.port)]),
      exited.then(() => Promise.reject(new Error('caddy exited'))),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    const output = await readFile(logPath, 'utf8').catch(() => '');
    throw new Error(`caddy did not start (${String(error)}):\n${output.slice(-2000)}`, {
      cause: error,
    });
  }
  return {
    port,
    tlsPort: tls.port,
    pid: child.pid ?? 0,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // TERM is Caddy's graceful stop (bounded by grace_period); KILL if it hangs anyway.
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

function caddyConfig(dir: string, port: number, upstreamPort: number, tls: CaddyTls): unknown {
  const proxyRoute = {
    handle: [
      {
        handler: 'reverse_proxy',
        upstreams: [{ dial: `127.0.0.1:${upstreamPort}` }],
        transport: {
          protocol: 'http',
          // Pass Accept-Encoding through as nginx does, instead of asking the upstream for gzip.
          compression: false,
          // Like nginx's `keepalive 64`; idle under the upstream's 65 s keepAliveTimeout.
          keep_alive: { enabled: true, max_idle_conns_per_host: 64, idle_timeout: '60s' },
        },
        headers: { request: { set: { 'X-Request-ID': ['{http.request.uuid}'] } } },
      },
    ],
  };
  const server = {
    routes: [proxyRoute],
    automatic_https: { disable: true },
    protocols: ['h1'],
  };
  return {
    admin: { disabled: true, config: { persist: false } },
    // Caddy's own log, errors only, to stderr (caddy.log); no server asks for an access log.
    logging: { logs: { default: { level: 'ERROR' } } },
    storage: { module: 'file_system', root: join(dir, 'data', 'caddy') },
    apps: {
      http: {
        grace_period: '1s',
        servers: {
          plain: { ...server, listen: [`127.0.0.1:${port}`] },
          tls: {
            ...server,
            listen: [`127.0.0.1:${tls.port}`],
            // Whatever the SNI (wrk sends 127.0.0.1, some clients none), serve the bench's cert.
            tls_connection_policies: [{ certificate_selection: { any_tag: ['bench'] } }],
          },
        },
      },
      tls: {
        certificates: {
          load_files: [
            { certificate: tls.certificatePath, key: tls.privateKeyPath, tags: ['bench'] },
          ],
        },
      },
    },
  };
}
