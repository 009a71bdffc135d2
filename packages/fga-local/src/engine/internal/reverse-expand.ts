import type { CompiledModel, CompiledRelation } from './model';
import type { ParsedUser } from './parse';
import type { TupleIndex } from './tuple-index';

/**
 * The objects of `target`'s type on which `user` may have `target`, found by expanding backwards from the
 * user: tuples naming the user (or its type's wildcard) → the usersets those objects define → tuples
 * naming those usersets, computed relations and `from` definitions that read them, and so on. It ignores
 * conditions, intersections' other operands and exclusions, so it may over-approximate; list objects checks
 * every candidate. It never misses an object a positive path reaches.
 */
export function reverseExpand(
  model: CompiledModel,
  sources: readonly TupleIndex[],
  user: ParsedUser,
  target: CompiledRelation,
): Set<string> {
  const candidates = new Set<string>();
  const visited = new Map<CompiledRelation, Set<string>>();
  const queue: [CompiledRelation, string][] = [];

  const reach = (relation: CompiledRelation, id: string) => {
    let ids = visited.get(relation);
    if (!ids) {
      ids = new Set();
      visited.set(relation, ids);
    }
    if (ids.has(id)) return;
    ids.add(id);
    if (relation === target) candidates.add(id);
    queue.push([relation, id]);
  };

  /** Every tuple naming `subject` as its user makes its object#relation reachable. */
  const fromSubject = (subject: string) => {
    for (const source of sources) {
      for (const record of source.recordsOfUser(subject)) {
        const relation = model.types.get(record.object.type)?.relations.get(record.key.relation);
        if (relation) reach(relation, record.object.id);
      }
    }
  };

  fromSubject(user.raw);
  if (user.relation === undefined && !user.wildcard) fromSubject(`${user.type}:*`);
  if (user.relation !== undefined) {
    const own = model.types.get(user.type)?.relations.get(user.relation);
    if (own) reach(own, user.id);
  }

  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    const [relation, id] = next;
    const object = `${relation.type}:${id}`;
    fromSubject(`${object}#${relation.name}`);
    for (const dependent of relation.computedBy) reach(dependent, id);
    for (const { tupleset, relation: dependent } of relation.tuplesetBy) {
      for (const source of sources) {
        for (const record of source.recordsOfUser(object)) {
          if (record.key.relation === tupleset.name && record.object.type === tupleset.type) {
            reach(dependent, record.object.id);
          }
        }
      }
    }
  }
  return candidates;
}
