import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Runs `berth-agent proxy` with the given arguments, as the CLI does (see fixtures/). */
export const proxyMainPath = fileURLToPath(
  new URL('./fixtures/run-proxy-main.ts', import.meta.url),
);

/**
 * `berth-agent proxy` in a process of its own, on a free loopback port, with its admin socket
 * and state in `dir`; resolves once the primary logs "proxy ready".
 */
export async function spawnProxyProcess(
  dir: string,
  extraArgs: string[],
  options: { env?: NodeJS.ProcessEnv; httpPort?: number } = {},
): Promise<{ child: ChildProcess; url: string; socketPath: string; httpsPort?: number }> {
  const socketPath = join(dir, 'proxy.sock');
  const child = spawn(
    process.execPath,
    [
      ...['--import', 'tsx', proxyMainPath],
      ...['--http-port', String(options.httpPort ?? 0), '--http-host', '127.0.0.1'],
      ...['--socket', socketPath, '--state', join(dir, 'state.json'), ...extraArgs],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...options.env } },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ready = await new Promise<ReadyLine>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the proxy exited (${code}) before ready`)));
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as ReadyLine;
      if (entry.msg === 'proxy ready') resolve(entry);
    });
  });
  return {
    child,
    url: `http://127.0.0.1:${ready.httpAddress.port}`,
    socketPath,
    ...(ready.httpsAddress === undefined ? {} : { httpsPort: ready.httpsAddress.port }),
  };
}

interface ReadyLine {
  msg: string;
  httpAddress: { port: number };
  httpsAddress?: { port: number };
}
