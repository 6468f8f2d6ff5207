import { BerthError } from '../../shared/errors.ts';

/** The BerthError a promise rejects with; fails the test if it resolves or rejects otherwise. */
export async function rejection(promise: Promise<unknown>): Promise<BerthError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BerthError) return error;
    throw error;
  }
  throw new Error('expected a BerthError, but the promise resolved');
}

/** The BerthError a call throws; fails the test if it returns or throws otherwise. */
export function thrown(call: () => unknown): BerthError {
  try {
    call();
  } catch (error) {
    if (error instanceof BerthError) return error;
    throw error;
  }
  throw new Error('expected a BerthError, but the call returned');
}
