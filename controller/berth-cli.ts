import { runCli } from '../shared/cli/run-cli.ts';
import { commands } from './commands/index.ts';
import type { CliContext } from './cli-context.ts';

/** `berth <command>` in process; returns the exit code. Tests call this directly. */
export function runBerth(argv: string[], context: CliContext): Promise<number> {
  return runCli('berth', commands, argv, context, context.output);
}
