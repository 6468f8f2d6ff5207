import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger.ts';

function sink(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('redacts tokens, passwords, private key material and secrets wherever they sit one level deep', () => {
    const { stream, lines } = sink();
    const logger = createLogger({ name: 'test' }, stream);
    logger.info(
      {
        token: 'eyJhbGciOi.secret.token',
        req: { headers: { authorization: 'Bearer abc' } },
        registry: { password: 'hunter2', username: 'deploy' },
        key: { d: 'private-scalar', x: 'public' },
        release: { secrets: { 'web-1': 'jwe' } },
      },
      'hello',
    );
    const [line] = lines();
    const text = JSON.stringify(line);
    for (const secret of [
      'eyJhbGciOi.secret.token',
      'Bearer abc',
      'hunter2',
      'private-scalar',
      '"jwe"',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(line).toMatchObject({
      msg: 'hello',
      registry: { username: 'deploy' },
      key: { x: 'public' },
    });
  });
});
