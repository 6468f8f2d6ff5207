import { processOutput, runCli, type CliCommand } from '../../shared/cli/run-cli.ts';
import { initCommand } from './init.ts';
import { runCommand } from './run.ts';
import { trustCommand } from './trust.ts';
import { proxyCommand } from './proxy.ts';

export type AgentCommand = CliCommand<null>;

const commands: AgentCommand[] = [initCommand, runCommand, proxyCommand, trustCommand];

/** `berth-agent <command>`; returns the exit code. */
export function runAgentCli(argv: string[]): Promise<number> {
  return runCli('berth-agent', commands, argv, null, processOutput);
}
