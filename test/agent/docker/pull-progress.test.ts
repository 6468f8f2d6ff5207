import { describe, expect, it } from 'vitest';
import { pullErrorFrom, pullProgressFrom } from '../../../agent/docker/pull-progress.ts';

describe('pull stream lines', () => {
  it('reads layer progress in bytes', () => {
    const line = {
      status: 'Downloading',
      id: '9dc5a567b6bf',
      progressDetail: { current: 1024, total: 4096 },
      progress: '[=>  ]',
    };

    expect(pullProgressFrom(line)).toStrictEqual({
      status: 'Downloading',
      layer: '9dc5a567b6bf',
      currentBytes: 1024,
      totalBytes: 4096,
    });
    expect(pullErrorFrom(line)).toBeNull();
  });

  it('reads a status without a layer or sizes', () => {
    expect(pullProgressFrom({ status: 'Digest: sha256:ab', progressDetail: {} })).toStrictEqual({
      status: 'Digest: sha256:ab',
    });
  });

  it("reads the registry's error, which arrives in the stream after a 200", () => {
    const line = {
      errorDetail: { message: 'unauthorized: authentication required' },
      error: 'unauthorized: authentication required',
    };

    expect(pullErrorFrom(line)).toBe('unauthorized: authentication required');
    expect(pullProgressFrom(line)).toBeNull();
  });
});
