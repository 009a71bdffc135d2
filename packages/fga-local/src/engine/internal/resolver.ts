import { FgaError } from '../errors';
import type { Userset } from '../types';
import type { CompiledModel, CompiledRelation } from './model';
import type { ParsedUser } from './parse';
import type { TupleIndex, TupleRecord } from './tuple-index';

/**
 * The outcome of resolving one relation: allowed, not allowed, not allowed because resolution ran into a
 * cycle (OpenFGA's `cycle_detected`, which makes an exclusion false), or an error no other path overrode.
 */
export type Outcome = boolean | typeof CYCLE | FgaError;

export const CYCLE = 'cycle' as const;

export interface ResolverOptions {
  /** Evaluate every branch and report any error (list users) instead of stopping at the first answer. */
  exhaustive?: boolean;
  /** Do not let wildcard tuples grant a concrete user (list users lists such users only as `type:*`). */
  ignoreWildcards?: boolean;
}

/** Collects the outcomes of a union-like set of paths. */
class AnyOf {
  allowed = false;
  cycle = false;
  error: FgaError | undefined;
  add(outcome: Outcome): void {
    if (outcome === true) this.allowed = true;
    else if (outcome === CYCLE) this.cycle = true;
    else if (outcome !== false) this.error ??= outcome;
  }
  result(exhaustive: boolean): Outcome {
    if (exhaustive && this.error) return this.error;
    if (this.allowed) return true;
    return this.error ?? (this.cycle ? CYCLE : false);
  }
}

/**
 * Resolves check questions for one user within one request. Results per `object#relation` are memoised
 * (also across the candidates of a list-objects request); cycles resolve to `false` without looping, and
 * results that depended on a cycle still being open are not memoised.
 */
export class Resolver {
  private readonly memo = new Map<string, Outcome>();
  private readonly open = new Map<string, number>();
  private readonly conditionOutcomes = new Map<TupleRecord, Outcome>();
  private depthOfStack = 0;
  private lowestCycle = Number.POSITIVE_INFINITY;

  constructor(
    private readonly model: CompiledModel,
    private readonly sources: readonly TupleIndex[],
    private readonly user: ParsedUser,
    private readonly context: Record<string, unknown> | undefined,
    private readonly maxDepth: number,
    options: ResolverOptions = {},
  ) {
    this.exhaustive = options.exhaustive === true;
    this.ignoreWildcards = options.ignoreWildcards === true;
    this.wildcardsGrant = !this.ignoreWildcards;
  }

  private readonly exhaustive: boolean;
  private readonly ignoreWildcards: boolean;
  /** Whether wildcard tuples grant the (concrete) user here; false only with `ignoreWildcards`. */
  private wildcardsGrant = true;

  check(type: string, id: string, relationName: string, depth: number): Outcome {
    const user = this.user;
    if (
      user.relation !== undefined &&
      user.type === type &&
      user.id === id &&
      user.relation === relationName
    ) {
      return true;
    }
    if (depth >= this.maxDepth) {
      return new FgaError(
        'authorization_model_resolution_too_complex',
        `resolution exceeded the maximum depth of ${this.maxDepth}`,
      );
    }
    const key = `${this.wildcardsGrant ? '' : '!'}${type}:${id}#${relationName}`;
    const cached = this.memo.get(key);
    if (cached !== undefined) return cached;
    const openAt = this.open.get(key);
    if (openAt !== undefined) {
      if (openAt < this.lowestCycle) this.lowestCycle = openAt;
      return CYCLE;
    }
    const relation = this.model.types.get(type)?.relations.get(relationName);
    if (!relation) return false;
    const index = this.depthOfStack++;
    this.open.set(key, index);
    const outer = this.lowestCycle;
    this.lowestCycle = Number.POSITIVE_INFINITY;
    let outcome: Outcome;
    try {
      outcome = this.rewrite(type, id, relation, relation.rewrite, depth);
    } finally {
      this.open.delete(key);
      this.depthOfStack--;
    }
    const inner = this.lowestCycle;
    if (inner >= index) {
      const tooDeep =
        outcome instanceof FgaError && outcome.code === 'authorization_model_resolution_too_complex';
      if (!tooDeep) this.memo.set(key, outcome);
      this.lowestCycle = outer;
    } else {
      this.lowestCycle = Math.min(outer, inner);
    }
    return outcome;
  }

  private rewrite(
    type: string,
    id: string,
    relation: CompiledRelation,
    rewrite: Userset,
    depth: number,
  ): Outcome {
    if (rewrite.this) return this.direct(type, id, relation, depth);
    if (rewrite.computedUserset) {
      return this.check(type, id, rewrite.computedUserset.relation ?? '', depth + 1);
    }
    if (rewrite.tupleToUserset) {
      return this.tupleToUserset(
        type,
        id,
        rewrite.tupleToUserset.tupleset.relation ?? '',
        rewrite.tupleToUserset.computedUserset.relation ?? '',
        depth,
      );
    }
    if (rewrite.union) {
      const paths = new AnyOf();
      for (const child of rewrite.union.child) {
        paths.add(this.rewrite(type, id, relation, child, depth));
        if (paths.allowed && !this.exhaustive) return true;
      }
      return paths.result(this.exhaustive);
    }
    if (rewrite.intersection && !this.wildcardsGrant) {
      // Listing users: every operand may be satisfied through a wildcard, but one must name the user.
      const all = this.withWildcards(true, () => this.rewrite(type, id, relation, rewrite, depth));
      if (all !== true) return all;
      const named = new AnyOf();
      for (const child of rewrite.intersection.child) {
        named.add(this.rewrite(type, id, relation, child, depth));
        if (named.allowed && !this.exhaustive) return true;
      }
      return named.result(this.exhaustive);
    }
    if (rewrite.intersection) {
      let error: FgaError | undefined;
      let denied: Outcome | undefined;
      for (const child of rewrite.intersection.child) {
        const outcome = this.rewrite(type, id, relation, child, depth);
        if (outcome === false || outcome === CYCLE) {
          denied ??= outcome;
          if (!this.exhaustive) return outcome;
        } else if (outcome !== true) error ??= outcome;
      }
      if (this.exhaustive && error) return error;
      return denied ?? error ?? true;
    }
    const difference = rewrite.difference;
    if (difference) {
      const base = this.rewrite(type, id, relation, difference.base, depth);
      if ((base === false || base === CYCLE) && !this.exhaustive) return base;
      // A wildcard in the subtracted side always excludes.
      const subtract = this.withWildcards(true, () =>
        this.rewrite(type, id, relation, difference.subtract, depth),
      );
      if (this.exhaustive) {
        if (base instanceof FgaError) return base;
        if (subtract instanceof FgaError) return subtract;
      }
      if (base === false || base === CYCLE) return base;
      if (subtract === true) return false;
      if (subtract === CYCLE) return CYCLE;
      if (base !== true) return base;
      if (subtract !== false) return subtract;
      return true;
    }
    return false;
  }

  private withWildcards(grant: boolean, run: () => Outcome): Outcome {
    const previous = this.wildcardsGrant;
    this.wildcardsGrant = grant;
    try {
      return run();
    } finally {
      this.wildcardsGrant = previous;
    }
  }

  /** Evaluates a tuple's condition (memoised per request). */
  private condition(record: TupleRecord): Outcome {
    const name = record.conditionName;
    if (name === '') return true;
    const cached = this.conditionOutcomes.get(record);
    if (cached !== undefined) return cached;
    const condition = this.model.conditions.get(name);
    let outcome: Outcome;
    if (!condition) outcome = false;
    else {
      const tupleContext = record.key.condition?.context;
      const context = tupleContext ? { ...this.context, ...tupleContext } : (this.context ?? {});
      try {
        outcome = condition.evaluate(context);
      } catch (error) {
        outcome = FgaError.isInstance(error)
          ? error
          : new FgaError('validation_error', `failed to evaluate relationship condition '${name}'`, {
              cause: error,
            });
      }
    }
    this.conditionOutcomes.set(record, outcome);
    return outcome;
  }

  private direct(type: string, id: string, relation: CompiledRelation, depth: number): Outcome {
    const user = this.user;
    const allowed = relation.allowed;
    const paths = new AnyOf();
    const stop = () => paths.allowed && !this.exhaustive;
    for (const source of this.sources) {
      const bucket = source.bucket(type, id, relation.name);
      if (!bucket) continue;
      const exact = bucket.byUser.get(user.raw);
      if (exact && allowed.get(exact.user.typeKey)?.has(exact.conditionName)) {
        paths.add(this.condition(exact));
        if (stop()) return true;
      }
      if (user.relation === undefined && !user.wildcard && this.wildcardsGrant) {
        const wildcard = bucket.byUser.get(`${user.type}:*`);
        if (wildcard && allowed.get(wildcard.user.typeKey)?.has(wildcard.conditionName)) {
          paths.add(this.condition(wildcard));
          if (stop()) return true;
        }
      }
      for (const record of bucket.usersets.values()) {
        if (record === exact || !allowed.get(record.user.typeKey)?.has(record.conditionName)) continue;
        const condition = this.condition(record);
        if (condition !== true) {
          paths.add(condition);
          continue;
        }
        paths.add(this.check(record.user.type, record.user.id, record.user.relation as string, depth + 1));
        if (stop()) return true;
      }
    }
    return paths.result(this.exhaustive);
  }

  private tupleToUserset(
    type: string,
    id: string,
    tuplesetName: string,
    computed: string,
    depth: number,
  ): Outcome {
    const tupleset = this.model.types.get(type)?.relations.get(tuplesetName);
    if (!tupleset) return false;
    const paths = new AnyOf();
    for (const source of this.sources) {
      const bucket = source.bucket(type, id, tuplesetName);
      if (!bucket) continue;
      for (const record of bucket.byUser.values()) {
        const target = record.user;
        if (target.relation !== undefined || target.wildcard) continue;
        if (!tupleset.allowed.get(target.typeKey)?.has(record.conditionName)) continue;
        if (!this.model.types.get(target.type)?.relations.has(computed)) continue;
        const condition = this.condition(record);
        if (condition !== true) {
          paths.add(condition);
          continue;
        }
        paths.add(this.check(target.type, target.id, computed, depth + 1));
        if (paths.allowed && !this.exhaustive) return true;
      }
    }
    return paths.result(this.exhaustive);
  }
}
