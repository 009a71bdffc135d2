import { FgaError } from '../src/index';

/** Runs `run` and returns the `FgaError` it throws; fails the test when it throws nothing or something else. */
export function thrown(run: () => unknown): FgaError {
  try {
    run();
  } catch (error) {
    if (FgaError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an FgaError');
}
