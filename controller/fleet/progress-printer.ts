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

/** States a deployment stays in until another release moves it: a canary waits for promote or abort. */
export const SETTLED_STATES: readonly string[] = [...TERMINAL_STATES, 'canary'];

/** The state every host reaches when the release succeeded there. */
export function successStateOf(manifest: { canary?: unknown }): 'done' | 'canary' {
  return manifest.canary === undefined ? 'done' : 'canary';
}

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
  if (step === 'done' || step === 'canary') return colour('green', padded, process.stdout);
  if (TERMINAL_STATES.includes(step)) return colour('red', padded, process.stdout);
  return padded;
}
