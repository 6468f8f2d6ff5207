import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/**
 * Packs `stageDir` into `tarballPath` (tar + gzip) with fixed owners, order and times, so the
 * same inputs give the same bytes, and writes `tarballPath.sha256` in `sha256sum` format.
 * Returns the SHA-256 (hex).
 */
export async function packBundle(stageDir: string, tarballPath: string): Promise<string> {
  const temporary = `${tarballPath}.${process.pid}.tmp`;
  const tar = spawn(
    'tar',
    [
      ...['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0'],
      ...['-C', stageDir, '-cf', '-', '.'],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => tar.once('close', resolve));
  await pipeline(tar.stdout, createGzip({ level: 6 }), createWriteStream(temporary));
  const code = await exited;
  if (code !== 0) throw new Error(`tar exited ${code} while packing ${stageDir}`);
  const sha256 = await sha256OfFile(temporary);
  await rename(temporary, tarballPath);
  await writeFile(`${tarballPath}.sha256`, `${sha256}  ${basename(tarballPath)}\n`);
  return sha256;
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}
