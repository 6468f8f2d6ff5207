import { signOperatorToken } from '../../shared/auth/operator-token.ts';
import { parseOptions } from '../../shared/cli/parse-options.ts';
import { DEFAULT_CONTROLLER_NAME } from '../../shared/config/controller-config.ts';
import { BerthError } from '../../shared/errors.ts';
import type { BerthCommand } from '../cli-context.ts';
import { loadPrivateKey, operatorName } from '../keys/key-store.ts';

const DEFAULT_LOGIN_TOKEN_TTL_SECONDS = 600;

const usage = `Usage: berth controller login-token [--audience NAME] [--ttl SECONDS]

Prints a short-lived operator token (signed with your operator key) to paste into the
controller dashboard's sign-in form. Valid for --ttl seconds (at most 600, the default).

Options:
  --audience NAME   the controller's name (default: controller)
  --ttl SECONDS     lifetime of the token, 1 to 600 (default: 600)`;

export const controllerLoginTokenCommand: BerthCommand = {
  name: 'controller login-token',
  summary: 'print a token to sign in to the controller dashboard',
  usage,
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      {
        audience: { type: 'string', default: DEFAULT_CONTROLLER_NAME },
        ttl: { type: 'string', default: String(DEFAULT_LOGIN_TOKEN_TTL_SECONDS) },
      },
      'berth controller login-token',
    );
    const ttlSeconds = Number(values.ttl);
    if (!Number.isInteger(ttlSeconds)) {
      throw new BerthError(
        'USAGE',
        `berth controller login-token: --ttl must be whole seconds, not "${values.ttl}"`,
      );
    }
    const key = await loadPrivateKey(context.env, 'operator');
    const token = await signOperatorToken(key, {
      audience: values.audience,
      subject: operatorName(context.env),
      ttlSeconds,
    });
    context.output.out(`${token}\n`);
    return 0;
  },
};
