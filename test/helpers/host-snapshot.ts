import Database from 'better-sqlite3';
import { join } from 'node:path';
import { docker } from './docker-cli.ts';
import type { TestHost } from './test-fleet.ts';

/**
 * Everything an accepted release could change on a host: its containers, its proxy routes and
 * every row of the agent's database. Two equal snapshots mean a refused request changed nothing.
 */
export async function snapshotHost(
  host: TestHost,
  service: string,
): Promise<Record<string, unknown>> {
  const containers = (
    await docker([
      'ps',
      '-a',
      '--filter',
      `label=berth.service=${service}`,
      '--format',
      '{{.Names}} {{.State}}',
    ])
  )
    .trim()
    .split('\n')
    .sort();
  const proxy = host.proxy();
  const routes = await proxy.listServices();
  const db = new Database(join(host.dataDir, 'agent.sqlite'), {
    readonly: true,
    fileMustExist: true,
  });
  try {
    const tables = ['releases', 'deployments', 'deployment_events', 'services'];
    const rows = Object.fromEntries(
      tables.map((table) => [table, db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()]),
    );
    return { containers, routes, rows };
  } finally {
    db.close();
  }
}
