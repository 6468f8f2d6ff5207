import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const maxOutputBytes = 64 * 1024 * 1024;

/**
 * Runs the docker CLI with an argv array (never a shell string) and resolves its trimmed stdout.
 * Test scaffolding only: the product talks to Docker through agent/docker/.
 */
export async function docker(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('docker', args, { maxBuffer: maxOutputBytes });
    return stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    const reason =
      typeof stderr === 'string' && stderr.trim() !== '' ? stderr.trim() : String(error);
    throw new Error(`docker ${args.join(' ')} failed: ${reason}`, { cause: error });
  }
}

/** Like docker(), for clean-up steps whose failure (already gone, still in use) does not matter. */
export async function dockerQuietly(args: string[]): Promise<void> {
  await docker(args).catch(() => undefined);
}
