// Anomaly response
export type { AnomalyGuard } from './anomaly/anomaly-guard';
export { anomaly } from './anomaly/anomaly-guard';
export type {
  AnomalyDetails,
  AnomalyOptions,
  AnomalyResponse,
  AnomalyRuleName,
  AnomalyRules,
  MagnitudeRule,
  NewToolRule,
  RateRule,
  TimeOfDayRule,
} from './anomaly/types';
// Rate limits and quotas
export type { LimitKey, LimitKeyInput } from './limit-key';
export type { OnStoreError } from './on-store-error';
export type { QuotaDetails, QuotaOptions, QuotaPeriod } from './quota';
export { quota } from './quota';
export type { RateLimitDetails, RateLimitOptions } from './rate-limit';
export { rateLimit } from './rate-limit';
