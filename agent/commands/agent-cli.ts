import {
  processOutput,
  runCli,
  type CliCommand,
  type CliOutput,
} from '../../shared/cli/run-cli.ts';
import { initCommand } from './init.ts';
import { runCommand } from './run.ts';
import { trustCommand } from './trust.ts';
import { proxyCommand } from './proxy.ts';
import { proxyRestartCommand } from './proxy-restart.ts';
import { joinCommand } from './join.ts';
import { rollbackCommand } from './rollback.ts';

export interface AgentCliContext {
  output: CliOutput;
}

export type AgentCommand = CliCommand<AgentCliContext>;

const commands: AgentCommand[] = [
  initCommand,
  joinCommand,
  runCommand,
  rollbackCommand,
  proxyCommand,
  proxyRestartCommand,
  trustCommand,
];

/** `berth-agent <command>`; returns the exit code. */
export function runAgentCli(argv: string[], output: CliOutput = processOutput): Promise<number> {
  return runCli('berth-agent', commands, argv, { output }, output);
}
