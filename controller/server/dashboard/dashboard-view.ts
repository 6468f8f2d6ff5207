import type { AgentRoleStatus } from '../../../shared/api/agent-api.ts';
import type {
  FleetHost,
  FleetStatus,
  ReleaseHistoryEntry,
} from '../../../shared/api/controller-api.ts';
import type { HostDeployState } from '../state/records.ts';
import { html, type SafeHtml } from './html.ts';

export type ReleaseSummary = Omit<ReleaseHistoryEntry, 'jws'>;

/** What the dashboard shows, as /dashboard.json serves it. */
export interface DashboardData {
  controller: string;
  generatedAt: string;
  fleet: FleetStatus;
  /** Per host and service, the newest release targeting it and how far it got. */
  deploys: HostDeployState[];
  releases: ReleaseSummary[];
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago", or "never". */
export function ago(at: string | null, now: Date): string {
  if (at === null) return 'never';
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(at)) / 1000));
  if (seconds < 2) return 'just now';
  if (seconds < 120) return `${seconds} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

function badge(text: string, kind: string): SafeHtml {
  return html`<span class="badge ${kind}">${text}</span>`;
}

function deployCell(deploy: HostDeployState | undefined): SafeHtml {
  if (!deploy) return html`<td>—</td>`;
  const kind =
    deploy.state === 'done'
      ? 'good'
      : ['failed', 'refused', 'rolled_back'].includes(deploy.state)
        ? 'bad'
        : 'busy';
  const error = deploy.error
    ? html`<div class="error">${deploy.error.code}: ${deploy.error.message}</div>`
    : null;
  return html`<td>${badge(deploy.state, kind)} #${deploy.sequence}${error}</td>`;
}

function hostCells(host: FleetHost, now: Date): SafeHtml {
  const online = host.online ? badge('online', 'good') : badge('offline', 'bad');
  const fresh = host.fresh ? badge('fresh', 'good') : badge('stale', 'bad');
  return html`<td class="host">${host.name}</td>
    <td>${host.state}</td>
    <td>${online}</td>
    <td title="${host.lastSeenAt ?? ''}">${ago(host.lastSeenAt, now)}</td>
    <td>${fresh}</td>`;
}

function serviceCells(
  role: AgentRoleStatus | null,
  service: string | null,
  deploy: HostDeployState | undefined,
): SafeHtml {
  if (!service)
    return html`<td>—</td>
      <td>—</td>
      <td>—</td>
      <td>—</td>
      <td>—</td>`;
  const health = role ? badge(role.health, role.health === 'healthy' ? 'good' : 'busy') : '—';
  const canary =
    role?.canaryPercent === undefined
      ? null
      : html` ${badge(`canary ${role.canaryPercent}%`, 'busy')}`;
  return html`<td>${service}</td>
    <td>${role?.role ?? '—'}</td>
    <td>${role?.version ?? '—'}${canary}</td>
    <td>${health}</td>
    ${deployCell(deploy)}`;
}

function hostRows(host: FleetHost, deploys: readonly HostDeployState[], now: Date): SafeHtml[] {
  const byService = new Map(deploys.filter((d) => d.host === host.name).map((d) => [d.service, d]));
  const rows: { role: AgentRoleStatus | null; service: string | null }[] = host.services.map(
    (role) => ({ role, service: role.service }),
  );
  for (const service of byService.keys()) {
    if (!host.services.some((role) => role.service === service)) rows.push({ role: null, service });
  }
  if (rows.length === 0) rows.push({ role: null, service: null });
  return rows.map(
    ({ role, service }) =>
      html`<tr data-host="${host.name}" data-service="${service ?? ''}">
        ${hostCells(host, now)}${serviceCells(role, service, service ? byService.get(service) : undefined)}
      </tr>`,
  );
}

const fleetHeaders = [
  'Host',
  'State',
  'Connection',
  'Last seen',
  'Status',
  'Service',
  'Role',
  'Version',
  'Health',
  'Deploy',
];
const releaseHeaders = [
  'Service',
  'Sequence',
  'Version',
  'Published by',
  'Published',
  'Issued by',
  'Hosts',
];

/** A table with a header row, and one row saying `empty` across all columns when there are no rows. */
function dataTable(
  id: string,
  headers: readonly string[],
  rows: readonly SafeHtml[],
  empty: SafeHtml,
): SafeHtml {
  const body =
    rows.length > 0
      ? rows
      : [
          html`<tr>
            <td colspan="${headers.length}" class="empty">${empty}</td>
          </tr>`,
        ];
  return html`<table id="${id}">
    <thead>
      <tr>
        ${headers.map((header) => html`<th>${header}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${body}
    </tbody>
  </table>`;
}

/** The fleet table: one row per host and service role, rendered on the server. */
export function fleetTable(data: DashboardData, now: Date): SafeHtml {
  const rows = data.fleet.hosts.flatMap((host) => hostRows(host, data.deploys, now));
  const empty = html`No hosts yet: <code>berth hosts add NAME</code>`;
  return dataTable('fleet-table', fleetHeaders, rows, empty);
}

/** Recent releases with who published them and how far each host got. */
export function releasesTable(data: DashboardData, now: Date): SafeHtml {
  const rows = data.releases.map((release) => {
    const hosts = Object.entries(release.hosts).map(
      ([host, state]) => html`<span class="target">${host}: ${state}</span> `,
    );
    const rollback = release.rollbackOf
      ? html` <span class="badge busy">rollback to #${release.rollbackOf}</span>`
      : null;
    return html`<tr data-release="${release.service}#${release.sequence}">
      <td>${release.service}</td>
      <td>#${release.sequence}</td>
      <td>${release.version}${rollback}</td>
      <td>${release.publishedBy}</td>
      <td title="${release.publishedAt}">${ago(release.publishedAt, now)}</td>
      <td>${release.issuedBy}</td>
      <td>${hosts}</td>
    </tr>`;
  });
  return dataTable('releases-table', releaseHeaders, rows, html`No releases yet.`);
}
