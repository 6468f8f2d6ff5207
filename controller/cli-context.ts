import type { CliCommand, CliOutput } from '../shared/cli/run-cli.ts';

export interface CliContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  output: CliOutput;
}

export type BerthCommand = CliCommand<CliContext>;
