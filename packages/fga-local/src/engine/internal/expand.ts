import type { UsersetTreeNode } from '../types';
import type { CompiledRelation, RewriteNode } from './model';
import type { TupleIndex } from './tuple-index';

/**
 * Expands `type:id#relation` one level, as OpenFGA's `/expand`: direct tuples become a leaf of users,
 * computed relations and `from` definitions become leaves naming the usersets to expand next, and set
 * operations become union / intersection / difference nodes. Tuples the model no longer allows are left out.
 */
export function expandRelation(
  sources: readonly TupleIndex[],
  relation: CompiledRelation,
  id: string,
): UsersetTreeNode {
  const object = `${relation.type}:${id}`;
  const name = `${object}#${relation.name}`;
  const build = (node: RewriteNode): UsersetTreeNode => {
    switch (node.kind) {
      case 'direct': {
        const users: string[] = [];
        for (const source of sources) {
          for (const record of source.bucket(relation.type, id, relation.name)?.byUser.values() ?? []) {
            if (relation.allowed.get(record.user.typeKey)?.conditions.has(record.conditionName)) {
              users.push(record.key.user);
            }
          }
        }
        return { name, leaf: { users: { users } } };
      }
      case 'computed':
        return { name, leaf: { computed: { userset: `${object}#${node.relation.name}` } } };
      case 'ttu': {
        const computed: { userset: string }[] = [];
        for (const source of sources) {
          for (const record of source.bucket(relation.type, id, node.tupleset.name)?.byUser.values() ?? []) {
            const target = node.targets.get(record.user.type);
            if (!target || record.user.relation !== undefined || record.user.wildcard) continue;
            if (!node.tupleset.allowed.get(record.user.typeKey)?.conditions.has(record.conditionName))
              continue;
            computed.push({ userset: `${record.key.user}#${target.name}` });
          }
        }
        return { name, leaf: { tupleToUserset: { tupleset: `${object}#${node.tupleset.name}`, computed } } };
      }
      case 'union':
        return { name, union: { nodes: node.children.map(build) } };
      case 'intersection':
        return { name, intersection: { nodes: node.children.map(build) } };
      case 'difference':
        return { name, difference: { base: build(node.base), subtract: build(node.subtract) } };
    }
  };
  return build(relation.node);
}
