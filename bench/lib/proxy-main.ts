import { runProxyCommand } from '../../agent/proxy/run-proxy.ts';

/** `berth-agent proxy` for the benchmark, in its own process, as in production. */
await runProxyCommand(process.argv.slice(2));
