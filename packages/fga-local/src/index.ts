// Engine: factory
export { createLocalFga } from './engine/create-local-fga';

// Engine: errors
export type { FgaErrorCode } from './engine/errors';
export { FGA_NUMERIC_CODES, FgaError } from './engine/errors';

// Engine: OpenFGA wire-shaped types
export type {
  AuthorizationModel,
  BatchCheckItem,
  BatchCheckItemError,
  BatchCheckRequest,
  BatchCheckResponse,
  CheckRequest,
  CheckResponse,
  ConditionDefinition,
  ConditionParamTypeRef,
  ConditionTypeName,
  ExpandRequest,
  ExpandResponse,
  FgaObject,
  ListedUser,
  ListObjectsRequest,
  ListObjectsResponse,
  ListStoresResponse,
  ListUsersRequest,
  ListUsersResponse,
  LocalFga,
  LocalFgaOptions,
  Metadata,
  ObjectRelation,
  PageRequest,
  ReadAuthorizationModelsResponse,
  ReadRequest,
  ReadResponse,
  RelationMetadata,
  RelationReference,
  RelationshipCondition,
  StoredTuple,
  StoreInfo,
  TupleKey,
  TupleKeyWithoutCondition,
  TypeDefinition,
  Userset,
  UsersetTreeNode,
  UserTypeFilter,
  WriteAuthorizationModelRequest,
  WriteRequest,
} from './engine/types';

// Server: OpenFGA's REST API over HTTP, for `@openfga/sdk` and any OpenFGA client
export type {
  OpenFgaServer,
  OpenFgaServerLimits,
  StartOpenFgaServerOptions,
} from './server/start-open-fga-server';
export { startOpenFgaServer } from './server/start-open-fga-server';
