// `berth controller run` in a process of its own, for the command test.
import { processOutput } from '../../../shared/cli/run-cli.ts';
import { controllerRunCommand } from '../../../controller/commands/controller-run.ts';

process.exitCode = await controllerRunCommand.run(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  output: processOutput,
});
