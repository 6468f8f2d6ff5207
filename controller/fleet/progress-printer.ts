import type { AgentEvent } from '../../shared/api/agent-api.ts';
import { colour } from '../../shared/cli/colour.ts';
import type { CliOutput } from '../../shared/cli/run-cli.ts';

export const TERMINAL_STATES: readonly string[] = [
  'done',
  'failed',
  'rolled_back',
  'refused',
  'superseded',
];

/** Prints deployment events as `[host] step role  message` lines, or JSON lines with --json. */
export function progressPrinter(hosts: string[], output: CliOutput, options: { json: boolean }) {
  const width = Math.max(0, ...hosts.map((h) => h.length));
  return (host: string, event: AgentEvent): void => {
    if (options.json) {
      output.out(`${JSON.stringify({ host, ...event })}\n`);
      return;
    }
    const role = event.role ? ` ${event.role}` : '';
    output.out(
      `${colour('cyan', `[${host.padEnd(width)}]`, process.stdout)} ${colourStep(event.step)}${role}  ${event.message}\n`,
    );
  };
}

function colourStep(step: string): string {
  const padded = step.padEnd(11);
  if (step === 'done') return colour('green', padded, process.stdout);
  if (TERMINAL_STATES.includes(step)) return colour('red', padded, process.stdout);
  return padded;
}
