/** OpenFGA's error code names (`ErrorCode`, `NotFoundErrorCode`, `InternalErrorCode` of the REST API). */
export type FgaErrorCode =
  | 'validation_error'
  | 'authorization_model_not_found'
  | 'authorization_model_resolution_too_complex'
  | 'invalid_write_input'
  | 'cannot_allow_duplicate_tuples_in_one_request'
  | 'cannot_allow_duplicate_types_in_one_request'
  | 'invalid_continuation_token'
  | 'invalid_object_format'
  | 'write_failed_due_to_invalid_input'
  | 'latest_authorization_model_not_found'
  | 'type_not_found'
  | 'relation_not_found'
  | 'invalid_user'
  | 'invalid_tuple'
  | 'exceeded_entity_limit'
  | 'invalid_authorization_model'
  | 'unsupported_schema_version'
  | 'store_id_not_found'
  | 'internal_error';

/** OpenFGA's numeric codes (gRPC status detail codes) for each name. */
export const FGA_NUMERIC_CODES: Readonly<Record<FgaErrorCode, number>> = {
  validation_error: 2000,
  authorization_model_not_found: 2001,
  authorization_model_resolution_too_complex: 2002,
  invalid_write_input: 2003,
  cannot_allow_duplicate_tuples_in_one_request: 2004,
  cannot_allow_duplicate_types_in_one_request: 2005,
  invalid_continuation_token: 2007,
  invalid_object_format: 2012,
  write_failed_due_to_invalid_input: 2017,
  latest_authorization_model_not_found: 2020,
  type_not_found: 2021,
  relation_not_found: 2022,
  invalid_user: 2025,
  invalid_tuple: 2027,
  exceeded_entity_limit: 2053,
  invalid_authorization_model: 2056,
  unsupported_schema_version: 2057,
  store_id_not_found: 5002,
  internal_error: 4000,
};

const HTTP_STATUS: Partial<Record<FgaErrorCode, number>> = {
  store_id_not_found: 404,
  internal_error: 500,
  authorization_model_resolution_too_complex: 400,
};

const marker = Symbol.for('@agentgate/fga-local.FgaError');

/**
 * The one error the engine throws. `code` is OpenFGA's code name (what the REST body's `code` carries),
 * `numericCode` its numeric form (2000, 2002, 2021, …), `httpStatus` what OpenFGA's HTTP gateway answers.
 */
export class FgaError extends Error {
  readonly code: FgaErrorCode;
  readonly numericCode: number;
  readonly httpStatus: number;
  readonly [marker] = true;

  constructor(code: FgaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FgaError';
    this.code = code;
    this.numericCode = FGA_NUMERIC_CODES[code];
    this.httpStatus = HTTP_STATUS[code] ?? 400;
  }

  /** True for an `FgaError`, also from another installed copy of this package. */
  static isInstance(value: unknown): value is FgaError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
  }
}
