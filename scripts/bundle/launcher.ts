/**
 * `bin/berth-agent`: runs the bundled agent with the bundled Node, also through a symlink
 * (/usr/local/bin/berth-agent). `exec` keeps the PID, so systemd's LISTEN_PID still matches.
 */
export const launcherScript = `#!/bin/sh
here=$(dirname "$(readlink -f "$0")")
exec "$here/node" "$here/berth-agent.js" "$@"
`;

/**
 * \`bin/berth-agent.js\`: the entry point. \`berth-agent run\` starts the proxy (when not under
 * systemd) as \`node <lib>/../../bin/berth-agent.js proxy …\`, so the file must sit here.
 */
export const entryScript = `import '../lib/agent/main.mjs';\n`;

/** The bundle's package.json: marks its .js files as ES modules. */
export function bundlePackageJson(version: string): string {
  return `${JSON.stringify({ name: 'berth-agent-bundle', version, private: true, type: 'module' }, null, 2)}\n`;
}
