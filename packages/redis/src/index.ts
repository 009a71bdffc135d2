// The store
export type { RedisStore, RedisStoreEncryption, RedisStoreOptions } from './create-redis-store';
export { createRedisStore } from './create-redis-store';
// Encryption keys
export type { EncryptionKey } from './encryption-key-id';
export { encryptionKeyId } from './encryption-key-id';
// Errors
export type {
  RedisStoreErrorCode,
  StoreOperation,
  StoreUnavailableReason,
  StoreValueRejectedReason,
} from './errors';
export { isRedisStoreError, StoreUnavailable, StoreValueRejected } from './errors';
// Limit counters (rate limits and quotas)
export type { RedisLimitStore, RedisLimitStoreOptions } from './redis-limit-store';
export { createRedisLimitStore } from './redis-limit-store';
