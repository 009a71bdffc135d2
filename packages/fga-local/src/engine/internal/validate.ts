import { FgaError, type FgaErrorCode } from '../errors';
import type { TupleKey } from '../types';
import type { CompiledModel, CompiledRelation } from './model';
import { type ParsedObject, type ParsedUser, parseObject, parseUser } from './parse';

export interface ValidatedTuple {
  key: TupleKey;
  object: ParsedObject;
  user: ParsedUser;
  conditionName: string;
}

function describe(tuple: { user?: unknown; relation?: unknown; object?: unknown }): string {
  return `(user:'${String(tuple.user)}', relation:'${String(tuple.relation)}', object:'${String(tuple.object)}')`;
}

/**
 * Validates a tuple to be written (or sent as a contextual tuple) against the model, as OpenFGA does:
 * object and relation exist, the relation is directly assignable, the user's type (plain, wildcard or
 * userset) with the tuple's condition is one of the relation's directly related user types.
 */
export function validateTuple(
  model: CompiledModel,
  tuple: TupleKey,
  code: FgaErrorCode = 'invalid_tuple',
): ValidatedTuple {
  const fail = (reason: string) => new FgaError(code, `invalid tuple ${describe(tuple)}: ${reason}`);
  if (typeof tuple !== 'object' || tuple === null) throw new FgaError(code, 'a tuple must be an object');
  const object = parseObject(tuple.object);
  if (!object) throw fail('object must be of the form type:id');
  if (typeof tuple.relation !== 'string' || tuple.relation === '') throw fail('relation is required');
  const user = parseUser(tuple.user);
  if (!user) throw fail('user must be of the form type:id, type:* or type:id#relation');
  const type = model.types.get(object.type);
  if (!type) throw fail(`type '${object.type}' not found`);
  const relation = type.relations.get(tuple.relation);
  if (!relation) throw fail(`relation '${object.type}#${tuple.relation}' not found`);
  const userType = model.types.get(user.type);
  if (!userType) throw fail(`type '${user.type}' not found`);
  if (user.relation !== undefined && !userType.relations.has(user.relation)) {
    throw fail(`relation '${user.type}#${user.relation}' not found`);
  }
  const conditionName = tuple.condition?.name ?? '';
  if (tuple.condition !== undefined) {
    if (
      typeof tuple.condition !== 'object' ||
      tuple.condition === null ||
      typeof conditionName !== 'string'
    ) {
      throw fail('condition must be an object with a name');
    }
    if (!model.conditions.has(conditionName)) throw fail(`condition '${conditionName}' is not defined`);
    const context = tuple.condition.context;
    if (
      context !== undefined &&
      (typeof context !== 'object' || context === null || Array.isArray(context))
    ) {
      throw fail('condition context must be an object');
    }
    const parameters = model.conditions.get(conditionName)?.parameterNames ?? [];
    for (const parameter of Object.keys(context ?? {})) {
      if (!parameters.includes(parameter)) {
        throw fail(`condition '${conditionName}' has no parameter '${parameter}'`);
      }
    }
  }
  checkAssignable(relation, user, conditionName, fail);
  return { key: tuple, object, user, conditionName };
}

function checkAssignable(
  relation: CompiledRelation,
  user: ParsedUser,
  conditionName: string,
  fail: (reason: string) => FgaError,
): void {
  if (relation.directTypes.length === 0) throw fail(`relation '${relation.name}' is not directly assignable`);
  const names = relation.allowed.get(user.typeKey)?.conditions;
  if (!names) throw fail(`type '${user.typeKey}' is not an allowed type restriction for '${relation.name}'`);
  if (!names.has(conditionName)) {
    throw fail(
      conditionName
        ? `condition '${conditionName}' is not allowed for '${user.typeKey}' on '${relation.name}'`
        : `'${user.typeKey}' on '${relation.name}' requires a condition`,
    );
  }
}

/** Validates a query's user against the model (check, list objects); errors are `validation_error`. */
export function validateRequestUser(model: CompiledModel, raw: unknown): ParsedUser {
  const user = parseUser(raw);
  if (!user) throw new FgaError('validation_error', `invalid user '${String(raw)}'`);
  const type = model.types.get(user.type);
  if (!type) throw new FgaError('validation_error', `type '${user.type}' not found`);
  if (user.relation !== undefined && !type.relations.has(user.relation)) {
    throw new FgaError('validation_error', `relation '${user.type}#${user.relation}' not found`);
  }
  return user;
}
