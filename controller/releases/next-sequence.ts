/**
 * A sequence above everything the hosts have seen for the service. Milliseconds since the
 * epoch keep sequences increasing across operators and CI without coordination; the hosts'
 * highest seen wins when a clock lags.
 */
export function nextSequence(highestSeen: number[], now: Date): number {
  return Math.max(now.getTime(), ...highestSeen.map((s) => s + 1));
}
