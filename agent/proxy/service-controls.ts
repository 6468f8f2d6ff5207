import { BerthError } from '../../shared/errors.ts';
import type { CanarySlot, ServiceControls, ServiceState } from './admin-protocol.ts';

/**
 * Pure transitions of a service's operator controls. Maintenance and pause exclude each other,
 * as kamal-proxy's stop and pause do: entering one leaves the other.
 */

export function withMaintenance(state: ServiceState, on: boolean, message = ''): ServiceState {
  if (!on) return without(state, 'maintenance');
  return { ...without(state, 'pause'), maintenance: { message } };
}

export function withPause(state: ServiceState, maxPauseMs: number): ServiceState {
  return { ...without(state, 'maintenance'), pause: { maxPauseMs } };
}

export function resumed(state: ServiceState): ServiceState {
  return without(state, 'pause');
}

export function withCanary(state: ServiceState, canary: CanarySlot): ServiceState {
  return { ...state, canary: { target: canary.target, percent: canary.percent } };
}

export function withoutCanary(state: ServiceState): ServiceState {
  return without(state, 'canary');
}

/** The canary target becomes the main target and the canary slot empties. */
export function promoted(state: ServiceState): ServiceState {
  if (state.canary === undefined) {
    throw new BerthError('NOT_FOUND', `service "${state.service}" has no canary to promote`);
  }
  return { ...without(state, 'canary'), target: state.canary.target };
}

/** The controls part of a state, to carry over when a switch replaces the route. */
export function controlsOf(state: ServiceState | undefined): ServiceControls {
  if (state === undefined) return {};
  const { maintenance, pause, canary } = state;
  return {
    ...(maintenance === undefined ? {} : { maintenance }),
    ...(pause === undefined ? {} : { pause }),
    ...(canary === undefined ? {} : { canary }),
  };
}

function without(state: ServiceState, key: keyof ServiceControls): ServiceState {
  const copy = { ...state };
  delete copy[key];
  return copy;
}
