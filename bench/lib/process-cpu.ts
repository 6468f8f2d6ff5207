import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second for /proc/<pid>/stat times; 100 on every Linux we run on. */
const ticksPerSecond = 100;

/**
 * CPU time (user + system, ms) used so far by `pid` and its descendants, read from /proc. On a
 * shared machine, CPU per request compares proxies more fairly than requests per second.
 */
export async function processTreeCpuMs(pid: number): Promise<number> {
  const stats = await readAllStats();
  const tree = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const stat of stats) {
      if (tree.has(stat.parentPid) && !tree.has(stat.pid)) {
        tree.add(stat.pid);
        grew = true;
      }
    }
  }
  const ticks = stats
    .filter((stat) => tree.has(stat.pid))
    .reduce((sum, stat) => sum + stat.ticks, 0);
  return (ticks * 1000) / ticksPerSecond;
}

async function readAllStats(): Promise<{ pid: number; parentPid: number; ticks: number }[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const stats = await Promise.all(
    pids.map(async (pid) => {
      try {
        const text = await readFile(`/proc/${pid}/stat`, 'utf8');
        // Fields after the parenthesised command name: state ppid … utime(12th) stime(13th).
        const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
        return {
          pid: Number(pid),
          parentPid: Number(fields[1]),
          ticks: Number(fields[11]) + Number(fields[12]),
        };
      } catch {
        return undefined;
      }
    }),
  );
  return stats.filter((stat) => stat !== undefined);
}
