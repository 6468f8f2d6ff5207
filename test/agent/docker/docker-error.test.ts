import { describe, expect, it } from 'vitest';
import {
  engineError,
  engineMessage,
  engineStatusCode,
} from '../../../agent/docker/docker-error.ts';
import { BerthError } from '../../../shared/errors.ts';

/** What docker-modem rejects with when the engine answers an error status. */
function modemError(statusCode: number, message: string, json: unknown): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), {
    statusCode,
    json,
  });
}

describe('engine errors', () => {
  it("uses the engine's JSON message and status", () => {
    const error = modemError(404, 'No such image: demo@sha256:00', {
      message: 'No such image: demo@sha256:00',
    });

    expect(engineStatusCode(error)).toBe(404);
    expect(engineMessage(error)).toBe('No such image: demo@sha256:00');
  });

  it("strips docker-modem's prefix when the body was a stream and not parsed", () => {
    expect(engineMessage(modemError(500, 'manifest unknown', null))).toBe('manifest unknown');
  });

  it('says the engine does not answer when the socket is missing or refuses', () => {
    const error = Object.assign(new Error('connect ENOENT /var/run/docker.sock'), {
      code: 'ENOENT',
    });

    expect(engineStatusCode(error)).toBeUndefined();
    expect(engineMessage(error)).toBe('the Docker engine does not answer (ENOENT)');
  });

  it('names the action and never repeats a registry password', () => {
    const error = modemError(500, 'login failed for user ci with password s3cret!', null);

    expect(
      engineError('IMAGE_PULL_FAILED', 'Could not pull demo@sha256:00', error, ['s3cret!', '']),
    ).toStrictEqual(
      new BerthError(
        'IMAGE_PULL_FAILED',
        'Could not pull demo@sha256:00: login failed for user ci with password [redacted]',
      ),
    );
  });
});
