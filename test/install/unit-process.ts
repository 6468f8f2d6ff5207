import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { execStartOf, inRoot } from './scratch-root.ts';

/** A process started exactly as a unit's ExecStart says, with its paths inside the scratch root. */
export class UnitProcess {
  readonly argv: string[];
  readonly logPath: string;
  #child: ChildProcess | null = null;

  private constructor(argv: string[], logPath: string) {
    this.argv = argv;
    this.logPath = logPath;
  }

  /** `launcher` runs before the command, as systemd's socket passing does (systemd-socket-activate). */
  static async fromUnit(
    root: string,
    unitPath: string,
    logPath: string,
    launcher: string[] = [],
  ): Promise<UnitProcess> {
    const execStart = inRoot(root, execStartOf(await readFile(unitPath, 'utf8')));
    return new UnitProcess([...launcher, ...execStart], logPath);
  }

  start(): void {
    const log = openSync(this.logPath, 'a');
    const [command, ...args] = this.argv;
    this.#child = spawn(command as string, args, {
      env: { PATH: process.env.PATH, BERTH_LOG_LEVEL: 'info' },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
  }

  get hasExited(): boolean {
    return this.#child === null || this.#child.exitCode !== null || this.#child.signalCode !== null;
  }

  /** Like `systemctl stop`: SIGTERM, then wait for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child || this.hasExited) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    this.#child = null;
  }

  log(): Promise<string> {
    return readFile(this.logPath, 'utf8').catch(() => '');
  }
}
