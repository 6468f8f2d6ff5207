import { runAgentCli } from './commands/agent-cli.ts';

process.exitCode = await runAgentCli(process.argv.slice(2));
