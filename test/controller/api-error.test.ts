import { describe, expect, it } from 'vitest';
import { errorFromAnswer } from '../../controller/client/api-error.ts';

describe('errorFromAnswer', () => {
  it('keeps our own error code and message', () => {
    const error = errorFromAnswer('controller', 409, { code: 'RELEASE_REPLAYED', message: 'old' });
    expect([error.code, error.message]).toEqual(['RELEASE_REPLAYED', 'controller: old']);
  });

  it('counts a bare 502/503/504 (a server shutting down, a proxy in front) as unreachable, so callers retry', () => {
    const closing = {
      error: 'Service Unavailable',
      message: 'Service Unavailable',
      statusCode: 503,
    };
    for (const status of [502, 503, 504]) {
      expect(errorFromAnswer('controller', status, closing).code).toBe('HOST_UNREACHABLE');
    }
    expect(errorFromAnswer('controller', 500, closing).code).toBe('INTERNAL');
    expect(errorFromAnswer('agent', 503, { code: 'PROXY_UNAVAILABLE', message: 'x' }).code).toBe(
      'PROXY_UNAVAILABLE',
    );
  });
});
