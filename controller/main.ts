import { processOutput } from '../shared/cli/run-cli.ts';
import { runBerth } from './berth-cli.ts';

process.exitCode = await runBerth(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  output: processOutput,
});
