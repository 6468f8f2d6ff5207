import { parseOptions, requireOption } from '../../shared/cli/parse-options.ts';
import { BerthError } from '../../shared/errors.ts';
import { hostNamePattern } from '../../shared/manifest/schema.ts';
import type { BerthCommand } from '../cli-context.ts';
import { hostEntrySchema, readHostBook, writeHostBook, hostBookPath } from '../hosts/host-book.ts';
import { AgentClient } from '../client/agent-client.ts';
import { loadPrivateKey, operatorName } from '../keys/key-store.ts';
import { openController } from '../fleet/open-controller.ts';
import type { ControllerClient } from '../client/controller-client.ts';
import { encodeJoinToken } from '../../shared/join-token.ts';
import type { CliContext } from '../cli-context.ts';

const usage = `Usage: berth hosts add NAME                                   (through the controller)
       berth hosts add NAME --url https://HOST:7443 --fingerprint sha256:HEX [--no-verify]   (direct)

With a controller in config/deploy.yml: registers NAME and prints a one-time join token
(valid 1 h) for \`berth-agent join TOKEN\` on the server.
Direct mode: registers an agent's API, pinning its TLS certificate (both printed by
\`berth-agent init\`). Checks the agent answers as NAME unless --no-verify.`;

export const hostsAddCommand: BerthCommand = {
  name: 'hosts add',
  summary: 'register an agent (URL + pinned certificate)',
  usage,
  async run(argv, context) {
    const { values, positionals } = parseOptions(
      argv,
      {
        url: { type: 'string' },
        fingerprint: { type: 'string' },
        'no-verify': { type: 'boolean', default: false },
      },
      'berth hosts add',
      1,
    );
    const name = positionals[0];
    if (!name || !hostNamePattern.test(name)) {
      throw new BerthError(
        'USAGE',
        'berth hosts add: give the host NAME (letters, digits, . _ -)',
        { hint: usage.split('\n')[0] },
      );
    }
    if (!values.url && !values.fingerprint) {
      const controller = await openController(context);
      if (controller) return issueJoinToken(controller, name, context);
    }
    const entry = hostEntrySchema.safeParse({
      url: requireOption(values.url, '--url', 'berth hosts add'),
      fingerprint: requireOption(
        values.fingerprint,
        '--fingerprint',
        'berth hosts add',
      ).toLowerCase(),
    });
    if (!entry.success) {
      throw new BerthError(
        'USAGE',
        `berth hosts add: ${entry.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; ')}`,
        {
          hint: 'the URL is https://HOST:PORT and the fingerprint sha256:<64 hex>, as `berth-agent init` printed',
        },
      );
    }
    if (!values['no-verify']) {
      const key = await loadPrivateKey(context.env, 'operator');
      const client = new AgentClient(name, entry.data, {
        ...key,
        subject: operatorName(context.env),
      });
      try {
        const identity = await client.identity();
        if (identity.name !== name) {
          throw new BerthError(
            'USAGE',
            `the agent at ${entry.data.url} is named "${identity.name}", not "${name}"`,
          );
        }
        await client.status();
      } finally {
        await client.close();
      }
    }
    const hosts = await readHostBook(context.cwd);
    hosts[name] = entry.data;
    await writeHostBook(context.cwd, hosts);
    context.output.out(`Registered ${name} (${entry.data.url}) in ${hostBookPath(context.cwd)}\n`);
    return 0;
  },
};

/** Registers the host with the controller and prints the join token: URL, pinned fingerprint, release keys, one-time secret. */
async function issueJoinToken(
  controller: ControllerClient,
  name: string,
  context: CliContext,
): Promise<number> {
  try {
    const identity = await controller.identity();
    const issued = await controller.addHost(name);
    const token = encodeJoinToken({
      url: controller.url,
      fingerprint: controller.fingerprint,
      name,
      fleet: identity.fleet,
      controllerName: identity.name,
      secret: issued.secret,
      releaseKeys: identity.releaseKeys,
      expiresAt: issued.expiresAt,
    });
    context.output.out(
      [
        `Registered ${name} with the controller; the token expires ${issued.expiresAt} and works once.`,
        'On the server, as root:',
        ...(identity.publicKeyPin
          ? [
              `  curl -fsSLk --pinnedpubkey '${identity.publicKeyPin}' ${controller.url}/install.sh | sh -s -- --token ${token}`,
              'or, where the agent is installed already:',
            ]
          : []),
        `  berth-agent join ${token}`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    await controller.close();
  }
}
