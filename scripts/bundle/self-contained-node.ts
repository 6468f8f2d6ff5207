import { execFileSync } from 'node:child_process';

/** Libraries every glibc Linux has; a Node linking anything else would not run on a bare server. */
const baseLibraries =
  /^(linux-vdso|ld-linux|libc|libm|libdl|librt|libpthread|libstdc\+\+|libgcc_s)[-.]/;

/** Throws unless `nodePath` needs only the C and C++ runtimes (nodejs.org or NodeSource builds). */
export function assertSelfContainedNode(nodePath: string): void {
  const linked = execFileSync('ldd', [nodePath], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((library) => library !== '' && !baseLibraries.test(library.replace(/^.*\//, '')));
  if (linked.length > 0) {
    throw new Error(
      `${nodePath} links ${linked.join(', ')}: the bundle needs a self-contained Node (a nodejs.org or NodeSource build), not a distribution's shared-library nodejs`,
    );
  }
}
