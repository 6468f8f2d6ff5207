import { randomUUID } from 'node:crypto';
import { errors, importJWK, jwtVerify, SignJWT } from 'jose';
import { BerthError } from '../errors.ts';
import { findTrustedKey, SIGNING_CURVE, type PublicKey, type SigningKey } from '../keys/jwk.ts';
import { headerValueText, readProtectedHeader } from '../keys/protected-header.ts';

export const OPERATOR_TOKEN_ALG = 'EdDSA';
/** JWT `typ` of an operator token, so a signed release can never pass for one. */
export const OPERATOR_TOKEN_TYPE = 'berth-operator+jwt';
export const DEFAULT_OPERATOR_TOKEN_TTL_SECONDS = 60;
export const MAX_OPERATOR_TOKEN_LIFETIME_SECONDS = 600;
export const OPERATOR_TOKEN_CLOCK_TOLERANCE_SECONDS = 30;

export interface OperatorTokenClaims {
  /** The agent's name: a token for one agent is refused by every other. */
  audience: string;
  /** The operator's name, for the audit log. */
  subject: string;
  ttlSeconds?: number;
  now?: Date;
}

/** Signs a short-lived EdDSA JWT for one API call (or a few) against one agent. */
export async function signOperatorToken(
  key: SigningKey,
  claims: OperatorTokenClaims,
): Promise<string> {
  const ttlSeconds = claims.ttlSeconds ?? DEFAULT_OPERATOR_TOKEN_TTL_SECONDS;
  if (
    !Number.isInteger(ttlSeconds) ||
    ttlSeconds < 1 ||
    ttlSeconds > MAX_OPERATOR_TOKEN_LIFETIME_SECONDS
  ) {
    throw new BerthError(
      'USAGE',
      `operator token lifetime must be 1 to ${MAX_OPERATOR_TOKEN_LIFETIME_SECONDS} seconds, not ${ttlSeconds}`,
    );
  }
  const issuedAtSeconds = Math.floor((claims.now ?? new Date()).getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: OPERATOR_TOKEN_ALG, kid: key.kid, typ: OPERATOR_TOKEN_TYPE })
    .setSubject(claims.subject)
    .setAudience(claims.audience)
    .setIssuedAt(issuedAtSeconds)
    .setExpirationTime(issuedAtSeconds + ttlSeconds)
    .setJti(randomUUID())
    .sign(await importJWK(key.privateJwk, OPERATOR_TOKEN_ALG));
}

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

function invalid(reason: string): BerthError {
  return new BerthError('AUTH_INVALID', `operator token ${reason}`);
}

function rejectionOf(error: unknown): BerthError {
  if (error instanceof errors.JWTExpired) return invalid('has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return invalid('is for another agent (audience does not match)');
    if (error.claim === 'typ') return invalid(`typ is not ${OPERATOR_TOKEN_TYPE}`);
    return invalid(`claim "${error.claim}" is missing or invalid (${error.reason})`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return invalid('signature does not verify');
  return invalid('is malformed');
}

/**
 * Verifies an operator token for this agent and returns who sent it. Rejects a missing token
 * (AUTH_REQUIRED) and, as AUTH_INVALID: any alg but EdDSA, an untrusted kid, a bad signature,
 * another audience, expiry, and a lifetime over ten minutes. Messages never contain the token.
 */
export async function verifyOperatorToken(
  token: string | undefined | null,
  options: { trustedKeys: readonly PublicKey[]; audience: string; now: Date },
): Promise<{ subject: string; kid: string }> {
  if (!token) throw new BerthError('AUTH_REQUIRED', 'the API call carries no operator token');
  const header = readProtectedHeader(token);
  if (header === null) throw invalid('is malformed');
  if (header.alg !== OPERATOR_TOKEN_ALG) {
    throw invalid(`uses alg ${headerValueText(header.alg)}; only EdDSA is accepted`);
  }
  const key = findTrustedKey(options.trustedKeys, header.kid, SIGNING_CURVE);
  if (!key)
    throw invalid(
      `is signed by key ${headerValueText(header.kid)}, which is not a trusted operator key`,
    );

  let claims: { sub?: unknown; iat?: unknown; exp?: unknown };
  try {
    ({ payload: claims } = await jwtVerify(token, await importJWK(key.jwk, OPERATOR_TOKEN_ALG), {
      algorithms: [OPERATOR_TOKEN_ALG],
      typ: OPERATOR_TOKEN_TYPE,
      audience: options.audience,
      currentDate: options.now,
      clockTolerance: OPERATOR_TOKEN_CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['sub', 'iat', 'exp', 'jti'],
    }));
  } catch (error) {
    throw rejectionOf(error);
  }
  const { sub, iat, exp } = claims;
  if (typeof sub !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') {
    throw invalid('is missing sub, iat or exp');
  }
  if (exp - iat > MAX_OPERATOR_TOKEN_LIFETIME_SECONDS) {
    throw invalid(
      `lifetime of ${exp - iat} s exceeds the ${MAX_OPERATOR_TOKEN_LIFETIME_SECONDS} s maximum`,
    );
  }
  const nowSeconds = options.now.getTime() / 1000;
  if (iat > nowSeconds + OPERATOR_TOKEN_CLOCK_TOLERANCE_SECONDS) {
    throw invalid('is issued in the future (check that the clocks agree)');
  }
  return { subject: sub, kid: key.kid };
}
