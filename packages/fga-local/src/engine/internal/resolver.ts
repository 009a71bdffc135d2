import { FgaError } from '../errors';
import type { CompiledModel, CompiledRelation, RewriteNode } from './model';
import type { ParsedUser } from './parse';
import type { ResolutionBudget } from './resolution-budget';
import type { Bucket, TupleIndex, TupleRecord } from './tuple-index';

export const CYCLE = 'cycle' as const;

/**
 * The outcome of resolving one relation: allowed, not allowed, not allowed because resolution ran into a
 * cycle (OpenFGA's `cycle_detected`, which makes an exclusion false), or an error no other path overrode.
 */
export type Outcome = boolean | typeof CYCLE | FgaError;

export interface ResolverOptions {
  /** Evaluate every branch and report any error (list users) instead of stopping at the first answer. */
  exhaustive?: boolean;
  /** Do not let wildcard tuples grant a concrete user (list users lists such users only as `type:*`). */
  ignoreWildcards?: boolean;
}

/** Memo entries: an outcome, or (a number) the stack position of a relation being resolved right now. */
type Memo = Map<CompiledRelation, Map<string, Outcome | number>>;

const FLAG_ALLOWED = 1;
const FLAG_CYCLE = 2;

/**
 * Resolves check questions for one user within one request. Results per `object#relation` are memoised
 * (also across the candidates of a list-objects request), computed relations included, so a model whose
 * relations fan out to the same relations costs one resolution per `object#relation`, not one per path.
 * Cycles resolve to `cycle` (not allowed) without looping, and results that depended on a still open part
 * of a cycle are not memoised (they are recomputed where they are reached again). Every step into an
 * `object#relation`, memoised or not, and every userset or parent tuple read on the way spends one step of
 * the request's `ResolutionBudget`, so the work of one request stays bounded whatever the model and tuples.
 */
export class Resolver {
  private readonly memoGranting: Memo = new Map();
  private readonly memoNamed: Memo = new Map();
  private conditionOutcomes: Map<TupleRecord, Outcome> | undefined;
  private readonly exhaustive: boolean;
  private readonly wildcardUser: string | undefined;
  /** Whether wildcard tuples grant the (concrete) user here; false only with `ignoreWildcards`. */
  private wildcardsGrant: boolean;
  private stackSize = 0;
  private lowestCycle = Number.POSITIVE_INFINITY;

  constructor(
    private readonly model: CompiledModel,
    private readonly sources: readonly TupleIndex[],
    private readonly user: ParsedUser,
    private readonly context: Record<string, unknown> | undefined,
    private readonly maxDepth: number,
    private readonly budget: ResolutionBudget,
    options: ResolverOptions = {},
  ) {
    this.exhaustive = options.exhaustive === true;
    this.wildcardsGrant = options.ignoreWildcards !== true;
    this.wildcardUser = user.relation === undefined && !user.wildcard ? `${user.type}:*` : undefined;
  }

  /** Resolves `user` against `relationName` of `type:id`. */
  check(type: string, id: string, relationName: string, depth = 0): Outcome {
    const user = this.user;
    if (user.relation === relationName && user.id === id && user.type === type) return true;
    const relation = this.model.types.get(type)?.relations.get(relationName);
    if (!relation) return false;
    return this.resolve(relation, id, depth);
  }

  /**
   * Resolves one `object#relation`, memoising the outcome unless it depended on a cycle still open further
   * up, or hit the depth limit (a shallower path may still resolve it). Throws the budget's `FgaError` when
   * the request has used up its resolution steps.
   */
  private resolve(relation: CompiledRelation, id: string, depth: number): Outcome {
    const user = this.user;
    if (user.relation === relation.name && user.id === id && user.type === relation.type) return true;
    if (depth >= this.maxDepth) {
      return new FgaError(
        'authorization_model_resolution_too_complex',
        `resolution exceeded the maximum depth of ${this.maxDepth}`,
      );
    }
    this.budget.spend();
    const memo = this.wildcardsGrant ? this.memoGranting : this.memoNamed;
    let entries = memo.get(relation);
    if (!entries) {
      entries = new Map();
      memo.set(relation, entries);
    }
    const cached = entries.get(id);
    if (cached !== undefined) {
      if (typeof cached !== 'number') return cached;
      if (cached < this.lowestCycle) this.lowestCycle = cached;
      return CYCLE;
    }
    const index = this.stackSize++;
    entries.set(id, index);
    const outer = this.lowestCycle;
    this.lowestCycle = Number.POSITIVE_INFINITY;
    let outcome: Outcome;
    try {
      outcome = this.rewrite(relation, relation.node, id, depth);
    } catch (error) {
      entries.delete(id);
      this.lowestCycle = outer;
      throw error;
    } finally {
      this.stackSize--;
    }
    const inner = this.lowestCycle;
    if (inner >= index) {
      const tooDeep =
        outcome instanceof FgaError && outcome.code === 'authorization_model_resolution_too_complex';
      if (tooDeep) entries.delete(id);
      else entries.set(id, outcome);
      this.lowestCycle = outer;
    } else {
      entries.delete(id);
      this.lowestCycle = Math.min(outer, inner);
    }
    return outcome;
  }

  private rewrite(relation: CompiledRelation, node: RewriteNode, id: string, depth: number): Outcome {
    switch (node.kind) {
      case 'direct':
        return this.direct(relation, id, depth);
      case 'computed':
        return this.resolve(node.relation, id, depth + 1);
      case 'ttu':
        return this.tupleToUserset(node.tupleset, node.targets, id, depth);
      case 'union':
        return this.anyOf(relation, node.children, id, depth);
      case 'intersection': {
        if (!this.wildcardsGrant) return this.namedIntersection(relation, node.children, id, depth);
        let denied: Outcome | undefined;
        let error: FgaError | undefined;
        for (const child of node.children) {
          const outcome = this.rewrite(relation, child, id, depth);
          if (outcome === false || outcome === CYCLE) {
            if (!this.exhaustive) return outcome;
            denied ??= outcome;
          } else if (outcome !== true) error ??= outcome;
        }
        if (this.exhaustive && error) return error;
        return denied ?? error ?? true;
      }
      case 'difference': {
        const base = this.rewrite(relation, node.base, id, depth);
        if ((base === false || base === CYCLE) && !this.exhaustive) return base;
        let subtract: Outcome;
        if (this.wildcardsGrant) subtract = this.rewrite(relation, node.subtract, id, depth);
        else {
          // A wildcard in the subtracted side always excludes.
          this.wildcardsGrant = true;
          try {
            subtract = this.rewrite(relation, node.subtract, id, depth);
          } finally {
            this.wildcardsGrant = false;
          }
        }
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
    }
  }

  /** Listing users: every operand may be satisfied through a wildcard, but one must name the user. */
  private namedIntersection(
    relation: CompiledRelation,
    children: RewriteNode[],
    id: string,
    depth: number,
  ): Outcome {
    this.wildcardsGrant = true;
    let all: Outcome;
    try {
      all = this.rewrite(relation, { kind: 'intersection', children }, id, depth);
    } finally {
      this.wildcardsGrant = false;
    }
    if (all !== true) return all;
    return this.anyOf(relation, children, id, depth);
  }

  /** Union semantics: true when any child allows (all of them are evaluated when exhaustive). */
  private anyOf(
    relation: CompiledRelation,
    children: readonly RewriteNode[],
    id: string,
    depth: number,
  ): Outcome {
    let flags = 0;
    let error: FgaError | undefined;
    for (const child of children) {
      const outcome = this.rewrite(relation, child, id, depth);
      if (outcome === true) {
        if (!this.exhaustive) return true;
        flags |= FLAG_ALLOWED;
      } else if (outcome === CYCLE) flags |= FLAG_CYCLE;
      else if (outcome !== false) error ??= outcome;
    }
    return this.settle(flags, error);
  }

  private settle(flags: number, error: FgaError | undefined): Outcome {
    if (error && this.exhaustive) return error;
    if (flags & FLAG_ALLOWED) return true;
    return error ?? (flags & FLAG_CYCLE ? CYCLE : false);
  }

  /** Evaluates a tuple's condition (memoised per request). */
  private condition(record: TupleRecord): Outcome {
    const name = record.conditionName;
    if (name === '') return true;
    this.conditionOutcomes ??= new Map();
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

  private direct(relation: CompiledRelation, id: string, depth: number): Outcome {
    const allowed = relation.allowed;
    let flags = 0;
    let error: FgaError | undefined;
    const sources = this.sources;
    for (let index = 0; index < sources.length; index++) {
      const bucket: Bucket | undefined = (sources[index] as TupleIndex).bucket(
        relation.type,
        id,
        relation.name,
      );
      if (!bucket) continue;
      const exact = bucket.byUser.get(this.user.raw);
      if (exact !== undefined && allowed.get(exact.user.typeKey)?.conditions.has(exact.conditionName)) {
        const outcome = exact.conditionName === '' ? true : this.condition(exact);
        if (outcome === true) {
          if (!this.exhaustive) return true;
          flags |= FLAG_ALLOWED;
        } else if (outcome !== false && outcome !== CYCLE) error ??= outcome;
      }
      if (this.wildcardUser !== undefined && this.wildcardsGrant) {
        const wildcard = bucket.byUser.get(this.wildcardUser);
        if (
          wildcard !== undefined &&
          allowed.get(wildcard.user.typeKey)?.conditions.has(wildcard.conditionName)
        ) {
          const outcome = wildcard.conditionName === '' ? true : this.condition(wildcard);
          if (outcome === true) {
            if (!this.exhaustive) return true;
            flags |= FLAG_ALLOWED;
          } else if (outcome !== false && outcome !== CYCLE) error ??= outcome;
        }
      }
      if (bucket.usersets === undefined) continue;
      for (const record of bucket.usersets.values()) {
        this.budget.spend();
        if (record === exact) continue;
        const entry = allowed.get(record.user.typeKey);
        if (entry?.relation === undefined || !entry.conditions.has(record.conditionName)) continue;
        const condition = record.conditionName === '' ? true : this.condition(record);
        if (condition !== true) {
          if (condition !== false && condition !== CYCLE) error ??= condition;
          continue;
        }
        const outcome = this.resolve(entry.relation, record.user.id, depth + 1);
        if (outcome === true) {
          if (!this.exhaustive) return true;
          flags |= FLAG_ALLOWED;
        } else if (outcome === CYCLE) flags |= FLAG_CYCLE;
        else if (outcome !== false) error ??= outcome;
      }
    }
    return this.settle(flags, error);
  }

  private tupleToUserset(
    tupleset: CompiledRelation,
    targets: Map<string, CompiledRelation>,
    id: string,
    depth: number,
  ): Outcome {
    let flags = 0;
    let error: FgaError | undefined;
    const sources = this.sources;
    for (let index = 0; index < sources.length; index++) {
      const bucket = (sources[index] as TupleIndex).bucket(tupleset.type, id, tupleset.name);
      if (!bucket) continue;
      for (const record of bucket.byUser.values()) {
        this.budget.spend();
        const parent = record.user;
        if (parent.relation !== undefined || parent.wildcard) continue;
        const target = targets.get(parent.type);
        if (!target || !tupleset.allowed.get(parent.typeKey)?.conditions.has(record.conditionName)) continue;
        const condition = record.conditionName === '' ? true : this.condition(record);
        if (condition !== true) {
          if (condition !== false && condition !== CYCLE) error ??= condition;
          continue;
        }
        const outcome = this.resolve(target, parent.id, depth + 1);
        if (outcome === true) {
          if (!this.exhaustive) return true;
          flags |= FLAG_ALLOWED;
        } else if (outcome === CYCLE) flags |= FLAG_CYCLE;
        else if (outcome !== false) error ??= outcome;
      }
    }
    return this.settle(flags, error);
  }
}
