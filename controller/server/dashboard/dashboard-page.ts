import { fleetTable, releasesTable, type DashboardData } from './dashboard-view.ts';
import { html } from './html.ts';
import { pageFrame } from './page-frame.ts';

export const REFRESH_INTERVAL_MS = 3_000;

// The server renders (and escapes) the tables; the script only swaps in the fresh fragments.
const refreshScript = `
const swap = (id, markup) => { document.getElementById(id).innerHTML = markup; };
async function refresh() {
  try {
    const answer = await fetch('/dashboard.json', { headers: { accept: 'application/json' } });
    if (answer.status === 401) { location.assign('/login'); return; }
    if (!answer.ok) return;
    const data = await answer.json();
    swap('fleet', data.html.fleet);
    swap('releases', data.html.releases);
    document.getElementById('updated').textContent = data.generatedAt;
  } catch {}
}
setInterval(refresh, ${REFRESH_INTERVAL_MS});
`;

/** The fleet page, complete without JavaScript; the script refreshes it every 3 s. */
export function dashboardPage(
  data: DashboardData,
  operator: string,
  nonce: string,
  now: Date,
): string {
  const header = html`<h1>Berth · ${data.controller} · fleet ${data.fleet.fleet}</h1>
    <span>${operator}</span>
    <form method="post" action="/logout"><button type="submit">Sign out</button></form>`;
  const body = html`<h2>Fleet</h2>
    <div id="fleet">${fleetTable(data, now)}</div>
    <p class="muted">
      Stale after ${Math.round(data.fleet.staleAfterMs / 1000)} s without contact · updated
      <span id="updated">${data.generatedAt}</span>
    </p>
    <h2>Recent releases</h2>
    <div id="releases">${releasesTable(data, now)}</div>`;
  return pageFrame({
    title: `Berth · ${data.controller}`,
    nonce,
    header,
    body,
    script: refreshScript,
  });
}
