import { FgaError } from '../errors';
import type { FgaObject, ListedUser, UserTypeFilter } from '../types';
import type { CompiledModel } from './model';
import { parseUser } from './parse';
import type { ResolutionBudget } from './resolution-budget';
import { Resolver } from './resolver';
import type { TupleIndex } from './tuple-index';

export interface FindUsersInput {
  model: CompiledModel;
  sources: readonly TupleIndex[];
  object: FgaObject;
  relation: string;
  filters: UserTypeFilter[];
  context: Record<string, unknown> | undefined;
  maxDepth: number;
  /** The request's budget, shared by the resolvers of every candidate. */
  budget: ResolutionBudget;
}

/**
 * List users: every user of the filter's type (or userset of the filter's relation) that appears in the
 * tuples is a candidate, checked exhaustively (any condition that cannot be evaluated fails the request, as
 * in OpenFGA) and without letting wildcards name a concrete user (they are listed as `type:*`).
 */
export function findUsers(input: FindUsersInput): ListedUser[] {
  const { model, sources: tupleSources, context, maxDepth, budget, relation } = input;
  const typeName = input.object.type;
  const objectId = input.object.id;
  const users: ListedUser[] = [];
  const seen = new Set<string>();
  let error: FgaError | undefined;
  for (const filter of input.filters) {
    const candidates = new Set<string>();
    const key = filter.relation ? `${filter.type}#${filter.relation}` : filter.type;
    for (const source of tupleSources)
      for (const candidate of source.usersOfKey(key)) candidates.add(candidate);
    if (filter.relation) {
      // Usersets nobody wrote as a user can still be reached (`viewer from parent` reaches folder:x#viewer).
      const relationOf = (id: string) => `${filter.type}:${id}#${filter.relation}`;
      if (filter.type === typeName) candidates.add(relationOf(objectId));
      const keys = [
        filter.type,
        ...[...(model.types.get(filter.type)?.relations.keys() ?? [])].map(
          (name) => `${filter.type}#${name}`,
        ),
      ];
      for (const source of tupleSources) {
        for (const id of source.objectIds(filter.type)) candidates.add(relationOf(id));
        for (const typeKey of keys) {
          for (const named of source.usersOfKey(typeKey)) {
            const parsed = parseUser(named);
            if (parsed && !parsed.wildcard) candidates.add(relationOf(parsed.id));
          }
        }
      }
    }
    for (const candidate of candidates) {
      if (seen.has(candidate)) continue;
      seen.add(candidate);
      const user = parseUser(candidate);
      if (!user) continue;
      const resolver = new Resolver(model, tupleSources, user, context, maxDepth, budget, {
        exhaustive: true,
        ignoreWildcards: true,
      });
      const outcome = resolver.check(typeName, objectId, relation, 0);
      if (outcome === true) {
        if (user.wildcard) users.push({ wildcard: { type: user.type } });
        else if (user.relation !== undefined) {
          users.push({ userset: { type: user.type, id: user.id, relation: user.relation } });
        } else users.push({ object: { type: user.type, id: user.id } });
      } else if (outcome instanceof FgaError) error ??= outcome;
    }
  }
  if (error) throw error;
  return users;
}
