import { BerthError } from '../../shared/errors.ts';
import { DEFAULT_CONTROL_WAIT_MS } from '../fleet/controller-controls.ts';

/** The `--timeout SECONDS` of maintenance, pause and resume, in ms (pull mode's wait for hosts). */
export function controlWaitMs(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CONTROL_WAIT_MS;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new BerthError('USAGE', `--timeout must be 1..3600 seconds, got "${text}"`);
  }
  return Math.round(seconds * 1000);
}

/** What maintenance, pause and resume say about the two transports. */
export const controlTransportUsage = `Direct mode: talks to each agent (hosts registered with \`berth hosts add\`). With a
controller: signs a service control with the release key (valid 10 minutes), uploads it, and
waits up to --timeout (default 30) for the online hosts to apply it; offline hosts apply it when
they reconnect, if before it expires. Exits 1 naming every host that did not apply it.`;
