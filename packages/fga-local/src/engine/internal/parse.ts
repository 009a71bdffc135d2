/** A parsed `user` field: `type:id`, `type:*` or `type:id#relation`. */
export interface ParsedUser {
  raw: string;
  type: string;
  id: string;
  /** Set for usersets (`group:eng#member`). */
  relation?: string;
  wildcard: boolean;
  /** Key of the directly-related-type entry this user needs: `user`, `user:*` or `group#member`. */
  typeKey: string;
}

export interface ParsedObject {
  type: string;
  id: string;
}

const TYPE = /^[^:#@\s]{1,254}$/;
const ID = /^[^#:\s]{1,254}$/;
const RELATION = /^[^:#@\s]{1,50}$/;

export function isValidRelationName(relation: string): boolean {
  return RELATION.test(relation);
}

/** Parses `type:id`; undefined when malformed or a wildcard. */
export function parseObject(object: unknown): ParsedObject | undefined {
  if (typeof object !== 'string') return undefined;
  const colon = object.indexOf(':');
  if (colon < 0) return undefined;
  const type = object.slice(0, colon);
  const id = object.slice(colon + 1);
  if (!TYPE.test(type) || !ID.test(id) || id === '*') return undefined;
  return { type, id };
}

/** Parses a user string; undefined when malformed. */
export function parseUser(user: unknown): ParsedUser | undefined {
  if (typeof user !== 'string') return undefined;
  const colon = user.indexOf(':');
  if (colon < 0) return undefined;
  const type = user.slice(0, colon);
  if (!TYPE.test(type)) return undefined;
  const rest = user.slice(colon + 1);
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    const id = rest.slice(0, hash);
    const relation = rest.slice(hash + 1);
    if (!ID.test(id) || !RELATION.test(relation)) return undefined;
    if (id === '*') return undefined;
    return { raw: user, type, id, relation, wildcard: false, typeKey: `${type}#${relation}` };
  }
  if (rest === '*') return { raw: user, type, id: '*', wildcard: true, typeKey: `${type}:*` };
  if (!ID.test(rest)) return undefined;
  return { raw: user, type, id: rest, wildcard: false, typeKey: type };
}
