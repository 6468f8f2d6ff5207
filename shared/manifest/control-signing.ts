import { checkAgainst } from '../config/config-problems.ts';
import { BerthError } from '../errors.ts';
import type { PublicKey, SigningKey } from '../keys/jwk.ts';
import {
  serviceControlSchema,
  type ServiceControl,
  type ServiceControlInput,
} from './control-schema.ts';
import { signJsonPayload, verifyJsonPayload } from './signed-payload.ts';

/**
 * JWS `typ` of a service control (maintenance, pause, resume). Distinct from a release's, so a
 * control can never be taken for a release and vice versa, though both are signed by the same
 * release keys.
 */
export const CONTROL_JWS_TYPE = 'berth-control+jws';

/** Validates a control payload; CONTROL_INVALID lists every problem by key path. */
export function parseControl(value: unknown): ServiceControl {
  const result = checkAgainst(serviceControlSchema, value);
  if (result.ok) return result.value;
  const lines = ['service control is invalid:', ...result.problems.map((p) => `  ${p}`)];
  throw new BerthError('CONTROL_INVALID', lines.join('\n'));
}

/** Validates the control and signs it as a compact JWS with the release key. */
export async function signControl(
  control: ServiceControl | ServiceControlInput,
  key: SigningKey,
): Promise<string> {
  return signJsonPayload(parseControl(control), key, CONTROL_JWS_TYPE);
}

/** Verifies a control JWS against the trusted release keys and returns the control. */
export async function verifyControlSignature(
  jws: string,
  trustedKeys: readonly PublicKey[],
): Promise<ServiceControl> {
  const payload = await verifyJsonPayload(jws, trustedKeys, {
    typ: CONTROL_JWS_TYPE,
    what: 'service control',
    invalidCode: 'CONTROL_INVALID',
  });
  return parseControl(payload);
}
