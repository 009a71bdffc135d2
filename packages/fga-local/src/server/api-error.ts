import { httpStatusForErrorCode, type OpenFgaErrorCode, openFgaErrorCodes } from './error-codes';

/** An error the server answers with OpenFGA's error body `{ code, message }` and HTTP status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: OpenFgaErrorCode;

  constructor(code: OpenFgaErrorCode, message: string, status = httpStatusForErrorCode(code)) {
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
 * Turn anything thrown while serving a request into the error sent back. Engine errors carry OpenFGA's
 * code name (`code`) and keep their message; anything else becomes a bare `internal_error` (500) so that
 * no internal detail leaves the process.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const { code, message, httpStatus } = error as { code: unknown; message?: unknown; httpStatus?: unknown };
    if (typeof code === 'string' && Object.hasOwn(openFgaErrorCodes, code)) {
      const status =
        typeof httpStatus === 'number' && httpStatus >= 400 && httpStatus < 600 ? httpStatus : undefined;
      return new ApiError(code, typeof message === 'string' ? message : code, status);
    }
  }
  return new ApiError('internal_error', 'internal error');
}
