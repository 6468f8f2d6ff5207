import { configDefaults, defineConfig } from 'vitest/config';

/** Test files that need the real Docker engine, the registry and the demo images. */
const dockerTestFiles = [
  'test/integration/**/*.test.ts',
  'test/contract/**/*.test.ts',
  'test/agent/docker/dockerode-engine.test.ts',
  // They share one agent bundle build and a real controller; the first also deploys.
  'test/install/server-install.test.ts',
  'test/install/install-failures.test.ts',
];
const shouldSkipDocker = process.env.BERTH_SKIP_DOCKER === '1';

// Two projects, so the Docker global setup (engine, registry, image builds) runs only when a
// Docker test file is part of the run. Docker files run one at a time, after the unit files:
// they share one engine on a 2-core machine and wait on health checks and drains with deadlines.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...dockerTestFiles],
          sequence: { groupOrder: 0 },
        },
      },
      ...(shouldSkipDocker
        ? []
        : [
            {
              extends: true as const,
              test: {
                name: 'docker',
                include: dockerTestFiles,
                globalSetup: ['test/global-setup.ts'],
                fileParallelism: false,
                sequence: { groupOrder: 1 },
              },
            },
          ]),
    ],
  },
});
