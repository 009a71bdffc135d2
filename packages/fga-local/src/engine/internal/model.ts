import { FgaError } from '../errors';
import type { AuthorizationModel, RelationReference, Userset } from '../types';
import { type CompiledCondition, compileCondition } from './conditions';
import { isValidRelationName } from './parse';

/** A relation rewrite with its references resolved to compiled relations (no lookups while resolving). */
export type RewriteNode =
  | { kind: 'direct' }
  | { kind: 'computed'; relation: CompiledRelation }
  | { kind: 'ttu'; tupleset: CompiledRelation; targets: Map<string, CompiledRelation> }
  | { kind: 'union' | 'intersection'; children: RewriteNode[] }
  | { kind: 'difference'; base: RewriteNode; subtract: RewriteNode };

export interface CompiledRelation {
  /** The type the relation is defined on. */
  type: string;
  name: string;
  rewrite: Userset;
  node: RewriteNode;
  directTypes: RelationReference[];
  /**
   * Relations of the same type that hold whenever this one holds on the same object, as far as a positive
   * path goes (computed usersets outside a `but not` subtraction). Used to expand list objects backwards.
   */
  computedBy: CompiledRelation[];
  /** `relation from tupleset` definitions that read this relation on the tupleset's targets. */
  tuplesetBy: { tupleset: CompiledRelation; relation: CompiledRelation }[];
  /** user type key (`user`, `user:*`, `group#member`) → what the relation allows for it. */
  allowed: Map<string, AllowedUserType>;
}

export interface AllowedUserType {
  /** Allowed condition names; '' stands for no condition. */
  conditions: Set<string>;
  /** For usersets (`group#member`): the compiled `member` relation of `group`. */
  relation?: CompiledRelation;
}

export interface CompiledType {
  name: string;
  relations: Map<string, CompiledRelation>;
}

export interface CompiledModel {
  model: AuthorizationModel;
  types: Map<string, CompiledType>;
  conditions: Map<string, CompiledCondition>;
}

function invalid(message: string): FgaError {
  return new FgaError('invalid_authorization_model', message);
}

export function referenceKey(reference: RelationReference): string {
  if (reference.wildcard) return `${reference.type}:*`;
  if (reference.relation) return `${reference.type}#${reference.relation}`;
  return reference.type;
}

/** Deepest nesting of set operations a relation may use (guards the recursive compiler and resolver). */
const MAX_REWRITE_NESTING = 50;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the JSON shape of a rewrite before anything walks it; throws `invalid_authorization_model`. */
function checkRewriteShape(rewrite: unknown, where: string, depth = 0): void {
  if (depth > MAX_REWRITE_NESTING) throw invalid(`${where} nests deeper than ${MAX_REWRITE_NESTING} levels`);
  if (!isObject(rewrite)) throw invalid(`${where} has a rewrite that is not an object`);
  const relationOf = (value: unknown) => isObject(value) && typeof value.relation === 'string';
  if (rewrite.this !== undefined && rewrite.this !== null) return;
  if (rewrite.computedUserset !== undefined) {
    if (!relationOf(rewrite.computedUserset))
      throw invalid(`${where} has a computed userset without relation`);
    return;
  }
  if (rewrite.tupleToUserset !== undefined) {
    const ttu = rewrite.tupleToUserset;
    if (!isObject(ttu) || !relationOf(ttu.tupleset) || !relationOf(ttu.computedUserset)) {
      throw invalid(`${where} has a malformed tupleToUserset`);
    }
    return;
  }
  for (const operation of ['union', 'intersection'] as const) {
    const value = rewrite[operation];
    if (value === undefined) continue;
    if (!isObject(value) || !Array.isArray(value.child))
      throw invalid(`${where} has a malformed ${operation}`);
    for (const child of value.child) checkRewriteShape(child, where, depth + 1);
    return;
  }
  if (rewrite.difference !== undefined) {
    const difference = rewrite.difference;
    if (!isObject(difference)) throw invalid(`${where} has a malformed difference`);
    checkRewriteShape(difference.base, where, depth + 1);
    checkRewriteShape(difference.subtract, where, depth + 1);
    return;
  }
  throw invalid(`${where} has an empty or unknown rewrite`);
}

function hasThis(rewrite: Userset): boolean {
  if (rewrite.this) return true;
  if (rewrite.union) return rewrite.union.child.some(hasThis);
  if (rewrite.intersection) return rewrite.intersection.child.some(hasThis);
  if (rewrite.difference) return hasThis(rewrite.difference.base) || hasThis(rewrite.difference.subtract);
  return false;
}

/** Compiles and validates an authorization model; throws `FgaError` with OpenFGA's codes. */
export function compileModel(model: AuthorizationModel, maxTypes: number): CompiledModel {
  if (model.schema_version !== '1.1') {
    throw new FgaError(
      'unsupported_schema_version',
      `schema version '${model.schema_version}' is not supported`,
    );
  }
  if (!Array.isArray(model.type_definitions) || model.type_definitions.length === 0) {
    throw new FgaError('validation_error', 'type_definitions must contain at least one type');
  }
  if (model.type_definitions.length > maxTypes) {
    throw new FgaError('exceeded_entity_limit', `a model may define at most ${maxTypes} types`);
  }
  const conditions = new Map<string, CompiledCondition>();
  for (const [name, definition] of Object.entries(model.conditions ?? {})) {
    if (!isObject(definition) || typeof definition.expression !== 'string') {
      throw invalid(`condition '${name}' must be an object with an expression`);
    }
    if (definition.name && definition.name !== name) {
      throw invalid(`condition key '${name}' does not match its name '${definition.name}'`);
    }
    try {
      conditions.set(name, compileCondition({ ...definition, name }));
    } catch (error) {
      if (FgaError.isInstance(error)) throw error;
      throw new FgaError('invalid_authorization_model', `condition '${name}': ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  const types = new Map<string, CompiledType>();
  for (const definition of model.type_definitions) {
    if (typeof definition?.type !== 'string' || !/^[^:#@\s]{1,254}$/.test(definition.type)) {
      throw new FgaError('validation_error', `invalid type name '${String(definition?.type)}'`);
    }
    if (types.has(definition.type)) {
      throw new FgaError(
        'cannot_allow_duplicate_types_in_one_request',
        `type '${definition.type}' is defined twice`,
      );
    }
    const relations = new Map<string, CompiledRelation>();
    for (const [name, rewrite] of Object.entries(definition.relations ?? {})) {
      if (!isValidRelationName(name) || name === 'self' || name === 'this') {
        throw new FgaError(
          'validation_error',
          `invalid relation name '${name}' on type '${definition.type}'`,
        );
      }
      checkRewriteShape(rewrite, `relation '${definition.type}#${name}'`);
      const directTypes = definition.metadata?.relations?.[name]?.directly_related_user_types ?? [];
      if (!Array.isArray(directTypes) || !directTypes.every((reference) => isObject(reference))) {
        throw invalid(`relation '${definition.type}#${name}' has malformed directly related user types`);
      }
      const allowed = new Map<string, AllowedUserType>();
      for (const reference of directTypes) {
        const key = referenceKey(reference);
        let entry = allowed.get(key);
        if (!entry) {
          entry = { conditions: new Set() };
          allowed.set(key, entry);
        }
        entry.conditions.add(reference.condition ?? '');
      }
      relations.set(name, {
        type: definition.type,
        name,
        rewrite,
        node: { kind: 'direct' },
        computedBy: [],
        tuplesetBy: [],
        directTypes,
        allowed,
      });
    }
    types.set(definition.type, { name: definition.type, relations });
  }
  for (const type of types.values()) {
    for (const relation of type.relations.values()) validateRelation(types, conditions, type, relation);
  }
  for (const type of types.values()) {
    for (const relation of type.relations.values()) {
      relation.node = compileRewrite(types, type, relation.rewrite);
      for (const reference of relation.directTypes) {
        if (!reference.relation) continue;
        const entry = relation.allowed.get(referenceKey(reference));
        if (entry) entry.relation = types.get(reference.type)?.relations.get(reference.relation);
      }
    }
  }
  for (const type of types.values()) {
    for (const relation of type.relations.values()) linkDependents(relation, relation.node);
  }
  checkEntrypoints(types);
  return { model, types, conditions };
}

/**
 * Every relation must be reachable from some tuple (OpenFGA's entry point rule): a directly related plain
 * type or wildcard, or a userset / computed / `from` relation that itself has an entry point; every operand
 * of an intersection and the base of an exclusion must have one. Computed as a fixed point over the model.
 */
function checkEntrypoints(types: Map<string, CompiledType>): void {
  const entered = new Set<CompiledRelation>();
  const hasEntry = (relation: CompiledRelation, node: RewriteNode): boolean => {
    switch (node.kind) {
      case 'direct':
        return relation.directTypes.some((reference) => {
          if (!reference.relation) return true;
          const target = types.get(reference.type)?.relations.get(reference.relation);
          return target !== undefined && entered.has(target);
        });
      case 'computed':
        return entered.has(node.relation);
      case 'ttu':
        return [...node.targets.values()].some((target) => entered.has(target));
      case 'union':
        return node.children.some((child) => hasEntry(relation, child));
      case 'intersection':
        return node.children.every((child) => hasEntry(relation, child));
      case 'difference':
        return hasEntry(relation, node.base);
    }
  };
  const all = [...types.values()].flatMap((type) => [...type.relations.values()]);
  let changed = true;
  while (changed) {
    changed = false;
    for (const relation of all) {
      if (!entered.has(relation) && hasEntry(relation, relation.node)) {
        entered.add(relation);
        changed = true;
      }
    }
  }
  const missing = all.find((relation) => !entered.has(relation));
  if (missing) {
    throw invalid(
      `relation '${missing.type}#${missing.name}' has no entry point: no tuple can ever grant it`,
    );
  }
}

function validateRelation(
  types: Map<string, CompiledType>,
  conditions: Map<string, CompiledCondition>,
  type: CompiledType,
  relation: CompiledRelation,
): void {
  const where = `relation '${type.name}#${relation.name}'`;
  const direct = hasThis(relation.rewrite);
  if (direct && relation.directTypes.length === 0) {
    throw invalid(`${where} is directly assignable but lists no user types`);
  }
  if (!direct && relation.directTypes.length > 0) {
    throw invalid(`${where} lists user types but is not directly assignable`);
  }
  for (const reference of relation.directTypes) {
    const target = types.get(reference.type);
    if (!target) throw invalid(`${where} references undefined type '${reference.type}'`);
    if (reference.relation && !target.relations.has(reference.relation)) {
      throw invalid(`${where} references undefined relation '${reference.type}#${reference.relation}'`);
    }
    if (reference.relation && reference.wildcard) throw invalid(`${where} has a wildcard with a relation`);
    if (reference.condition && !conditions.has(reference.condition)) {
      throw invalid(`${where} references undefined condition '${reference.condition}'`);
    }
  }
  const visit = (rewrite: Userset, depth = 0): void => {
    if (depth > MAX_REWRITE_NESTING)
      throw invalid(`${where} nests deeper than ${MAX_REWRITE_NESTING} levels`);
    if (rewrite.this) return;
    if (rewrite.computedUserset) {
      const target = rewrite.computedUserset.relation ?? '';
      if (!type.relations.has(target)) throw invalid(`${where} references undefined relation '${target}'`);
      if (target === relation.name) throw invalid(`${where} is defined in terms of itself`);
      return;
    }
    if (rewrite.tupleToUserset) {
      const tuplesetName = rewrite.tupleToUserset.tupleset.relation ?? '';
      const computed = rewrite.tupleToUserset.computedUserset.relation ?? '';
      const tupleset = type.relations.get(tuplesetName);
      if (!tupleset) throw invalid(`${where} references undefined tupleset relation '${tuplesetName}'`);
      if (!tupleset.rewrite.this || tupleset.directTypes.length === 0) {
        throw invalid(`${where}: tupleset relation '${tuplesetName}' must be directly assignable only`);
      }
      if (tupleset.directTypes.some((reference) => reference.relation || reference.wildcard)) {
        throw invalid(`${where}: tupleset relation '${tuplesetName}' may only relate plain types`);
      }
      const reachable = tupleset.directTypes.some((reference) =>
        types.get(reference.type)?.relations.has(computed),
      );
      if (!reachable) throw invalid(`${where}: no type of '${tuplesetName}' defines relation '${computed}'`);
      return;
    }
    const children = rewrite.union?.child ?? rewrite.intersection?.child;
    if (children) {
      if (children.length === 0) throw invalid(`${where} has an empty set operation`);
      for (const child of children) visit(child, depth + 1);
      return;
    }
    if (rewrite.difference) {
      visit(rewrite.difference.base, depth + 1);
      visit(rewrite.difference.subtract, depth + 1);
      return;
    }
    throw invalid(`${where} has an empty or unknown rewrite`);
  };
  visit(relation.rewrite);
}

function compileRewrite(types: Map<string, CompiledType>, type: CompiledType, rewrite: Userset): RewriteNode {
  if (rewrite.computedUserset) {
    return {
      kind: 'computed',
      relation: type.relations.get(rewrite.computedUserset.relation ?? '') as CompiledRelation,
    };
  }
  if (rewrite.tupleToUserset) {
    const tupleset = type.relations.get(rewrite.tupleToUserset.tupleset.relation ?? '') as CompiledRelation;
    const computed = rewrite.tupleToUserset.computedUserset.relation ?? '';
    const targets = new Map<string, CompiledRelation>();
    for (const reference of tupleset.directTypes) {
      const target = types.get(reference.type)?.relations.get(computed);
      if (target) targets.set(reference.type, target);
    }
    return { kind: 'ttu', tupleset, targets };
  }
  if (rewrite.union) {
    return {
      kind: 'union',
      children: rewrite.union.child.map((child) => compileRewrite(types, type, child)),
    };
  }
  if (rewrite.intersection) {
    return {
      kind: 'intersection',
      children: rewrite.intersection.child.map((child) => compileRewrite(types, type, child)),
    };
  }
  if (rewrite.difference) {
    return {
      kind: 'difference',
      base: compileRewrite(types, type, rewrite.difference.base),
      subtract: compileRewrite(types, type, rewrite.difference.subtract),
    };
  }
  return { kind: 'direct' };
}

/** Records, on every relation a positive path of `relation` reads, that `relation` depends on it. */
function linkDependents(relation: CompiledRelation, node: RewriteNode): void {
  switch (node.kind) {
    case 'computed':
      if (!node.relation.computedBy.includes(relation)) node.relation.computedBy.push(relation);
      return;
    case 'ttu':
      for (const target of node.targets.values())
        target.tuplesetBy.push({ tupleset: node.tupleset, relation });
      return;
    case 'union':
    case 'intersection':
      for (const child of node.children) linkDependents(relation, child);
      return;
    case 'difference':
      linkDependents(relation, node.base);
      return;
    default:
      return;
  }
}
