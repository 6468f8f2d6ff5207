import { existsSync } from 'node:fs';
import { parseOptions } from '../../shared/cli/parse-options.ts';
import { BerthError } from '../../shared/errors.ts';
import { formatPublicKey, generateSigningKey, writeKeyFile } from '../../shared/keys/index.ts';
import type { BerthCommand } from '../cli-context.ts';
import { keyPath, keysDir } from '../keys/key-store.ts';

const usage = `Usage: berth keys generate [--force]

Creates the release signing key and the operator API key (Ed25519) in
$BERTH_KEYS_DIR (default ~/.config/berth/keys, mode 0600), and prints the public
halves to give to \`berth-agent init\`. Keep the private keys off servers.`;

export const keysGenerateCommand: BerthCommand = {
  name: 'keys generate',
  summary: 'create the release and operator keys',
  usage,
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      { force: { type: 'boolean', default: false } },
      'berth keys generate',
    );
    const paths = {
      release: keyPath(context.env, 'release'),
      operator: keyPath(context.env, 'operator'),
    };
    if (!values.force && (existsSync(paths.release) || existsSync(paths.operator))) {
      throw new BerthError('USAGE', `keys already exist in ${keysDir(context.env)}`, {
        hint: 'pass --force to replace them (agents must then trust the new public keys)',
      });
    }
    const release = await generateSigningKey();
    const operator = await generateSigningKey();
    await writeKeyFile(paths.release, release.privateJwk);
    await writeKeyFile(paths.operator, operator.privateJwk);
    const releasePublic = formatPublicKey(release.publicJwk);
    const operatorPublic = formatPublicKey(operator.publicJwk);
    context.output.out(
      [
        `Wrote ${paths.release} and ${paths.operator}`,
        `  release key:  ${releasePublic}`,
        `  operator key: ${operatorPublic}`,
        '',
        'On each server:',
        `  berth-agent init --name NAME --trust-release-key ${releasePublic} --trust-operator-key ${operatorPublic}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
