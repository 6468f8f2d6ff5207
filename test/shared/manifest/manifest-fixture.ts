import {
  releaseManifestSchema,
  type ReleaseManifest,
  type ReleaseManifestInput,
} from '../../../shared/manifest/schema.ts';

export const DIGEST = `sha256:${'a'.repeat(64)}`;
export const ISSUED_AT = '2026-01-01T00:00:00.000Z';
export const EXPIRES_AT = '2026-01-01T01:00:00.000Z';
/** Ten minutes into the release's hour of validity. */
export const NOW = new Date('2026-01-01T00:10:00.000Z');

/** A valid manifest for service "demo" in fleet "prod": web on app-1 and app-2, jobs on worker-1. */
export function manifestFixture(overrides: Partial<ReleaseManifestInput> = {}): ReleaseManifest {
  return releaseManifestSchema.parse({
    schema: 1,
    fleet: 'prod',
    service: 'demo',
    sequence: 5,
    version: 'v1.2.3',
    issuedAt: ISSUED_AT,
    expiresAt: EXPIRES_AT,
    image: `registry.example.com/acme/demo@${DIGEST}`,
    roles: {
      web: { hosts: ['app-1', 'app-2'], proxy: {} },
      jobs: { hosts: ['worker-1'], cmd: ['bin/jobs'] },
    },
    ...overrides,
  });
}

/** The agent-side view that accepts manifestFixture() as is. */
export const targetFixture = {
  fleet: 'prod',
  hostName: 'app-1',
  lastAppliedSequence: 4,
  now: NOW,
};
