import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BerthError } from '../errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, strict, with its errors turned into USAGE errors that point at --help. */
export function parseOptions<T extends Options>(
  argv: string[],
  options: T,
  command: string,
  maxPositionals = 0,
) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: maxPositionals > 0 });
  } catch (error) {
    throw new BerthError('USAGE', `${command}: ${(error as Error).message.split('\n')[0]}`, {
      hint: `run \`${command} --help\` for the options`,
    });
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new BerthError(
      'USAGE',
      `${command}: unexpected argument "${parsed.positionals[maxPositionals]}"`,
      {
        hint: `run \`${command} --help\` for the options`,
      },
    );
  }
  return parsed;
}

export function requireOption(value: string | undefined, flag: string, command: string): string {
  if (!value) {
    throw new BerthError('USAGE', `${command}: ${flag} is required`, {
      hint: `run \`${command} --help\` for the options`,
    });
  }
  return value;
}
