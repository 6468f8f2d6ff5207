import { parseOptions, requireOption } from '../../shared/cli/parse-options.ts';
import { BerthError } from '../../shared/errors.ts';
import { hostNamePattern } from '../../shared/manifest/schema.ts';
import type { BerthCommand } from '../cli-context.ts';
import { hostEntrySchema, readHostBook, writeHostBook, hostBookPath } from '../hosts/host-book.ts';
import { AgentClient } from '../client/agent-client.ts';
import { loadPrivateKey, operatorName } from '../keys/key-store.ts';

const usage = `Usage: berth hosts add NAME --url https://HOST:7443 --fingerprint sha256:HEX [--no-verify]

Registers an agent for direct mode, pinning its TLS certificate (both printed by
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
