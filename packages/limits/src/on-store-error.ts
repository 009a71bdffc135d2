/**
 * What a limit guard does when its store fails (Redis down, a timeout):
 * - `'deny'` (the default): the call is denied with `GUARD_FAILED`; nothing runs unchecked.
 * - `'allow'`: the call goes on **without the limit**, and the guard's audit event says so (`reason: limit not
 *   enforced: …`). For limits that protect capacity rather than money or safety. The anomaly guard has no such option.
 */
export type OnStoreError = 'deny' | 'allow';
