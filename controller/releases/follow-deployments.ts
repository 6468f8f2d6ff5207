import { colour } from '../../shared/cli/colour.ts';
import type { CliOutput } from '../../shared/cli/run-cli.ts';
import type { AgentClient } from '../client/agent-client.ts';
import { TERMINAL_STATES, type AgentDeployment } from '../../shared/api/agent-api.ts';

export interface HostOutcome {
  host: string;
  deployment: AgentDeployment | null;
  error?: unknown;
}

const WAIT_MS = 10_000;

/**
 * Long-polls each host's deployment until it ends, printing one line per step event as
 * `[host] step  message`. Returns each host's final deployment.
 */
export async function followDeployments(
  started: { client: AgentClient; deployment: AgentDeployment }[],
  output: CliOutput,
  options: { json: boolean },
): Promise<HostOutcome[]> {
  const width = Math.max(...started.map((s) => s.client.name.length));
  return Promise.all(
    started.map(async ({ client, deployment }) => {
      let after = 0;
      let current = deployment;
      try {
        while (!TERMINAL_STATES.includes(current.state) || after === 0) {
          const answer = await client.deployment(deployment.id, after, WAIT_MS);
          current = answer.deployment;
          for (const event of answer.events) {
            after = event.id;
            if (options.json) {
              output.out(`${JSON.stringify({ host: client.name, ...event })}\n`);
            } else {
              const role = event.role ? ` ${event.role}` : '';
              output.out(
                `${colour('cyan', `[${client.name.padEnd(width)}]`)} ${colourStep(event.step)}${role}  ${event.message}\n`,
              );
            }
          }
          if (TERMINAL_STATES.includes(current.state) && answer.events.length === 0) break;
        }
        return { host: client.name, deployment: current };
      } catch (error) {
        return { host: client.name, deployment: current, error };
      }
    }),
  );
}

function colourStep(step: string): string {
  const padded = step.padEnd(11);
  if (step === 'done') return colour('green', padded);
  if (step === 'failed' || step === 'rolled_back') return colour('red', padded);
  return padded;
}
