import { colour } from './colour.ts';
import { BerthError, isBerthError } from '../errors.ts';

export interface CliCommand<Context> {
  /** Words after the program name, e.g. "keys generate". */
  name: string;
  summary: string;
  usage: string;
  run(argv: string[], context: Context): Promise<number>;
}

export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: CliOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/**
 * Finds the longest command name matching the leading words, runs it, and turns any error
 * into one red line (plus hint and details) and a non-zero exit: 2 for usage, 1 otherwise.
 */
export async function runCli<Context>(
  program: string,
  commands: CliCommand<Context>[],
  argv: string[],
  context: Context,
  output: CliOutput,
): Promise<number> {
  const help = (): string =>
    [
      `Usage: ${program} <command> [options]`,
      '',
      'Commands:',
      ...commands.map((c) => `  ${c.name.padEnd(18)} ${c.summary}`),
      '',
      `Run \`${program} <command> --help\` for its options.`,
      '',
    ].join('\n');
  if (argv.length === 0 || ['--help', '-h', 'help'].includes(argv[0] ?? '')) {
    output.out(help());
    return argv.length === 0 ? 2 : 0;
  }
  const command = [...commands]
    .sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)
    .find((c) => c.name.split(' ').every((word, i) => argv[i] === word));
  try {
    if (!command) {
      throw new BerthError('USAGE', `unknown command "${argv.slice(0, 2).join(' ')}"`, {
        hint: `run \`${program} --help\` for the list`,
      });
    }
    const rest = argv.slice(command.name.split(' ').length);
    if (rest.includes('--help') || rest.includes('-h')) {
      output.out(`${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, context);
  } catch (error) {
    reportError(error, output);
    return isBerthError(error) && error.code === 'USAGE' ? 2 : 1;
  }
}

export function reportError(error: unknown, output: CliOutput): void {
  if (isBerthError(error)) {
    output.err(`${colour('red', `ERROR ${error.code}: ${error.message}`)}\n`);
    for (const line of error.details) output.err(`  ${line}\n`);
    if (error.hint) output.err(`  ${error.hint}\n`);
    const cause = error.cause instanceof Error ? error.cause.message : null;
    if (cause) output.err(`  cause: ${cause}\n`);
    return;
  }
  output.err(
    `${colour('red', `ERROR unexpected: ${(error as Error)?.message ?? String(error)}`)} (please report)\n`,
  );
  if (process.env.BERTH_DEBUG) output.err(`${(error as Error)?.stack ?? ''}\n`);
}
