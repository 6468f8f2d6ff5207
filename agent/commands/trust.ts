import { parseOptions } from '../../shared/cli/parse-options.ts';
import { BerthError } from '../../shared/errors.ts';
import {
  agentConfigPath,
  defaultDataDir,
  loadAgentConfig,
  writeAgentConfig,
} from '../../shared/config/agent-config.ts';
import { formatPublicKey, parsePublicKey } from '../../shared/keys/index.ts';
import type { AgentCommand } from './agent-cli.ts';

const usage = `Usage: berth-agent trust [--release-key KEY] [--operator-key KEY] [--remove KEY] [--data-dir DIR]

Adds public keys this agent trusts (key rotation: add the new key, publish, then --remove the old).
Restart the agent to apply.`;

export const trustCommand: AgentCommand = {
  name: 'trust',
  summary: 'add or remove trusted release and operator keys',
  usage,
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      {
        'release-key': { type: 'string', multiple: true, default: [] },
        'operator-key': { type: 'string', multiple: true, default: [] },
        remove: { type: 'string', multiple: true, default: [] },
        'data-dir': { type: 'string', default: defaultDataDir() },
      },
      'berth-agent trust',
    );
    if (!values['release-key'].length && !values['operator-key'].length && !values.remove.length) {
      throw new BerthError(
        'USAGE',
        'berth-agent trust: give --release-key, --operator-key or --remove',
        {
          hint: 'run `berth-agent trust --help`',
        },
      );
    }
    const path = agentConfigPath(values['data-dir']);
    const config = await loadAgentConfig(path);
    const normalise = (keys: string[]): string[] =>
      keys.map((k) => formatPublicKey(parsePublicKey(k)));
    const removed = new Set(normalise(values.remove));
    const merge = (current: readonly string[], added: string[]): string[] =>
      [...new Set([...current, ...normalise(added)])].filter((k) => !removed.has(k));
    await writeAgentConfig(path, {
      ...config,
      trust: {
        releaseKeys: merge(config.trust.releaseKeys, values['release-key']),
        operatorKeys: merge(config.trust.operatorKeys, values['operator-key']),
      },
    });
    context.output.out(`Updated trusted keys in ${path}; restart the agent to apply.\n`);
    return 0;
  },
};
