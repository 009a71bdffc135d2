import { FgaError } from '../engine/errors';

/** An error the server answers with OpenFGA's error body `{ code, message }` and an HTTP status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** OpenFGA's code name, e.g. `validation_error`, `unauthenticated`, `undefined_endpoint`. */
  readonly code: string;
  readonly status: number;

  /** `status` defaults to 400, what OpenFGA sends for every validation code (2000–3499). */
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }

  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** A `validation_error` (400), OpenFGA's answer to a request that breaks the API's field rules. */
export function validationError(message: string): ApiError {
  return new ApiError('validation_error', message);
}

/**
 * Turn anything thrown while serving a request into the error sent back. The engine's `FgaError` keeps
 * its OpenFGA code, message and status; anything else becomes a bare `internal_error` (500) so that no
 * internal detail leaves the process.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (FgaError.isInstance(error)) return new ApiError(error.code, error.message, error.httpStatus);
  return new ApiError('internal_error', 'internal error', 500);
}
