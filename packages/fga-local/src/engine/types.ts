/**
 * The engine contract of `@agentgate/fga-local`: OpenFGA wire-shaped JSON types (snake_case, exactly as the
 * OpenFGA REST API sends them), so an HTTP server can pass request bodies straight through.
 *
 * Every `LocalFga` method is synchronous and throws an `FgaError` (see `./errors`) on bad input.
 */

/** A relationship tuple: `user` has `relation` on `object`, optionally under a named condition. */
export interface TupleKey {
  user: string;
  relation: string;
  object: string;
  condition?: RelationshipCondition;
}

/** A tuple's condition: the condition name from the model plus the tuple's stored context. */
export interface RelationshipCondition {
  name: string;
  context?: Record<string, unknown>;
}

/** A tuple key without condition, as used in delete requests. */
export interface TupleKeyWithoutCondition {
  user: string;
  relation: string;
  object: string;
}

/** A stored tuple as `read` returns it. */
export interface StoredTuple {
  key: TupleKey;
  /** RFC 3339 timestamp of the write. */
  timestamp: string;
}

export interface ObjectRelation {
  object?: string;
  relation?: string;
}

/** A relation rewrite. Exactly one member is set. */
export interface Userset {
  this?: Record<string, never>;
  computedUserset?: ObjectRelation;
  tupleToUserset?: { tupleset: ObjectRelation; computedUserset: ObjectRelation };
  union?: { child: Userset[] };
  intersection?: { child: Userset[] };
  difference?: { base: Userset; subtract: Userset };
}

/** One entry of `directly_related_user_types`: `user`, `group#member`, `user:*`, `user with cond`. */
export interface RelationReference {
  type: string;
  relation?: string;
  wildcard?: Record<string, never>;
  condition?: string;
}

export interface RelationMetadata {
  directly_related_user_types?: RelationReference[];
  module?: string;
  source_info?: unknown;
}

export interface Metadata {
  relations?: Record<string, RelationMetadata>;
  module?: string;
  source_info?: unknown;
}

export interface TypeDefinition {
  type: string;
  relations?: Record<string, Userset>;
  metadata?: Metadata | null;
}

/** OpenFGA's condition parameter type names. */
export type ConditionTypeName =
  | 'TYPE_NAME_UNSPECIFIED'
  | 'TYPE_NAME_ANY'
  | 'TYPE_NAME_BOOL'
  | 'TYPE_NAME_STRING'
  | 'TYPE_NAME_INT'
  | 'TYPE_NAME_UINT'
  | 'TYPE_NAME_DOUBLE'
  | 'TYPE_NAME_DURATION'
  | 'TYPE_NAME_TIMESTAMP'
  | 'TYPE_NAME_MAP'
  | 'TYPE_NAME_LIST'
  | 'TYPE_NAME_IPADDRESS';

export interface ConditionParamTypeRef {
  type_name: ConditionTypeName;
  generic_types?: ConditionParamTypeRef[];
}

export interface ConditionDefinition {
  name: string;
  /** A CEL expression over the parameters. */
  expression: string;
  parameters?: Record<string, ConditionParamTypeRef>;
  metadata?: unknown;
}

export interface AuthorizationModel {
  id: string;
  schema_version: string;
  type_definitions: TypeDefinition[];
  conditions?: Record<string, ConditionDefinition>;
}

/** The body of `writeAuthorizationModel`. */
export interface WriteAuthorizationModelRequest {
  schema_version: string;
  type_definitions: TypeDefinition[];
  conditions?: Record<string, ConditionDefinition>;
}

export interface StoreInfo {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export interface PageRequest {
  page_size?: number;
  continuation_token?: string;
}

export interface WriteRequest {
  writes?: TupleKey[];
  deletes?: TupleKeyWithoutCondition[];
  authorization_model_id?: string;
}

export interface ReadRequest extends PageRequest {
  tuple_key?: Partial<TupleKeyWithoutCondition>;
}

export interface ReadResponse {
  tuples: StoredTuple[];
  continuation_token: string;
}

export interface CheckRequest {
  authorization_model_id?: string;
  tuple_key: TupleKeyWithoutCondition;
  contextual_tuples?: TupleKey[];
  context?: Record<string, unknown>;
}

export interface CheckResponse {
  allowed: boolean;
}

export interface BatchCheckItem {
  tuple_key: TupleKeyWithoutCondition;
  contextual_tuples?: TupleKey[];
  context?: Record<string, unknown>;
  correlation_id: string;
}

export interface BatchCheckRequest {
  authorization_model_id?: string;
  checks: BatchCheckItem[];
}

/** The error of one batch-check item, shaped like OpenFGA's `CheckError`. */
export interface BatchCheckItemError {
  input_error?: string;
  internal_error?: string;
  message: string;
}

export interface BatchCheckResponse {
  result: Record<string, { allowed?: boolean; error?: BatchCheckItemError }>;
}

export interface ListObjectsRequest {
  authorization_model_id?: string;
  type: string;
  relation: string;
  user: string;
  contextual_tuples?: TupleKey[];
  context?: Record<string, unknown>;
}

export interface ListObjectsResponse {
  objects: string[];
}

export interface FgaObject {
  type: string;
  id: string;
}

export interface UserTypeFilter {
  type: string;
  relation?: string;
}

export interface ListUsersRequest {
  authorization_model_id?: string;
  object: FgaObject;
  relation: string;
  user_filters: UserTypeFilter[];
  contextual_tuples?: TupleKey[];
  context?: Record<string, unknown>;
}

export type ListedUser =
  | { object: FgaObject }
  | { userset: { type: string; id: string; relation: string } }
  | { wildcard: { type: string } };

export interface ListUsersResponse {
  users: ListedUser[];
}

export interface ExpandRequest {
  authorization_model_id?: string;
  tuple_key: { relation: string; object: string };
  contextual_tuples?: TupleKey[];
}

/** One node of an expansion tree, as OpenFGA's `/expand` returns it. */
export interface UsersetTreeNode {
  /** `object#relation`. */
  name: string;
  leaf?: {
    users?: { users: string[] };
    computed?: { userset: string };
    tupleToUserset?: { tupleset: string; computed: { userset: string }[] };
  };
  union?: { nodes: UsersetTreeNode[] };
  intersection?: { nodes: UsersetTreeNode[] };
  difference?: { base: UsersetTreeNode; subtract: UsersetTreeNode };
}

export interface ExpandResponse {
  tree: { root: UsersetTreeNode };
}

export interface ReadAuthorizationModelsResponse {
  authorization_models: AuthorizationModel[];
  continuation_token: string;
}

export interface ListStoresResponse {
  stores: StoreInfo[];
  continuation_token: string;
}

/**
 * The in-process OpenFGA-compatible engine. All methods are synchronous and throw `FgaError` (OpenFGA's
 * code names and numbers); every method that takes a store id throws `store_id_not_found` for an unknown one,
 * and every query without `authorization_model_id` uses the newest model (`latest_authorization_model_not_found`
 * when there is none; `authorization_model_not_found` for an unknown id).
 */
export interface LocalFga {
  /** Creates a store with a ULID id. Throws `validation_error` without a name. */
  createStore(input: { name: string }): StoreInfo;
  getStore(storeId: string): StoreInfo;
  /** Stores in creation order, `page_size` 1–100 (default 50). */
  listStores(input?: PageRequest): ListStoresResponse;
  /** Deletes a store with its models and tuples. */
  deleteStore(storeId: string): void;

  /**
   * Validates, compiles and stores a model (OpenFGA JSON). Throws `invalid_authorization_model`,
   * `cannot_allow_duplicate_types_in_one_request`, `unsupported_schema_version`, `exceeded_entity_limit`.
   */
  writeAuthorizationModel(
    storeId: string,
    model: WriteAuthorizationModelRequest,
  ): { authorization_model_id: string };
  /** Parses OpenFGA DSL with `@openfga/syntax-transformer`, then behaves as `writeAuthorizationModel`. */
  writeAuthorizationModelFromDsl(storeId: string, dsl: string): { authorization_model_id: string };
  readAuthorizationModel(storeId: string, modelId: string): AuthorizationModel;
  /** Newest first, like OpenFGA. */
  readAuthorizationModels(storeId: string, page?: PageRequest): ReadAuthorizationModelsResponse;
  /** The newest model; throws `latest_authorization_model_not_found` when the store has none. */
  readLatestAuthorizationModel(storeId: string): AuthorizationModel;

  /**
   * Atomically deletes and writes tuples (at most `maxTuplesPerWrite` together). Throws `invalid_tuple` for a
   * tuple the model does not allow, `write_failed_due_to_invalid_input` for writing an existing / deleting a
   * missing tuple, `cannot_allow_duplicate_tuples_in_one_request`, `invalid_write_input` when empty.
   */
  write(storeId: string, request: WriteRequest): void;
  /** Tuples in write order, filtered by `tuple_key` (object `type:id` or `type:`, relation, user), paged. */
  read(storeId: string, request?: ReadRequest): ReadResponse;

  /**
   * Whether the user has the relation with the object. Throws `validation_error` for an unknown type, relation
   * or user type and for a condition that cannot be evaluated (when no other path allows), `invalid_tuple`
   * for an invalid contextual tuple, `authorization_model_resolution_too_complex` past the depth limit or
   * the resolution budget (`maxResolutionStepsPerRequest`).
   */
  check(storeId: string, request: CheckRequest): CheckResponse;
  /**
   * Checks each item; an item's error is reported in its result, keyed by `correlation_id`. The items share
   * one resolution budget: once the request has spent it, items that still need resolving fail with 2002.
   */
  batchCheck(storeId: string, request: BatchCheckRequest): BatchCheckResponse;
  /** Every object of `type` the user has `relation` with. Throws `type_not_found` / `relation_not_found`. */
  listObjects(storeId: string, request: ListObjectsRequest): ListObjectsResponse;
  /** Every user of the filter type (or userset) with `relation` on the object; wildcards listed as `type:*`. */
  listUsers(storeId: string, request: ListUsersRequest): ListUsersResponse;
  /** One level of the userset tree of `object#relation`, like OpenFGA's `/expand` (conditions are not evaluated). */
  expand(storeId: string, request: ExpandRequest): ExpandResponse;
}

export interface LocalFgaOptions {
  /** Maximum resolution depth of check / list queries (OpenFGA's default: 25). */
  maxResolutionDepth?: number;
  /**
   * Maximum resolution steps one request may take: a check, a whole batch check, a list objects, a list
   * users. A step is a step into an `object#relation` (a computed relation, a userset, a `from` parent;
   * memoised answers count too) or a userset or parent tuple read on the way. Beyond it the request fails
   * with `authorization_model_resolution_too_complex` (2002). Default 1,000,000.
   */
  maxResolutionStepsPerRequest?: number;
  /** Maximum type definitions per model (OpenFGA's default: 100). */
  maxTypesPerModel?: number;
  /** Maximum tuples per write request (OpenFGA's default: 100). */
  maxTuplesPerWrite?: number;
  /** Clock for timestamps and ULIDs; defaults to `Date.now`. */
  clock?: () => number;
}
