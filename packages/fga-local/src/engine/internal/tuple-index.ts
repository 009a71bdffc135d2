import type { TupleKey } from '../types';
import type { ParsedObject, ParsedUser } from './parse';

/** One stored tuple with its parsed parts. */
export interface TupleRecord {
  key: TupleKey;
  object: ParsedObject;
  user: ParsedUser;
  /** '' when the tuple has no condition. */
  conditionName: string;
  timestamp: string;
  sequence: number;
}

/** The tuples of one `object#relation`. */
export interface Bucket {
  /** By user string. */
  byUser: Map<string, TupleRecord>;
  /** Only the userset users (`group:eng#member`), by user string; absent while there are none. */
  usersets?: Map<string, TupleRecord>;
}

export function tupleId(object: string, relation: string, user: string): string {
  return `${object}#${relation}@${user}`;
}

/**
 * Tuples indexed for the queries: type → object id → relation → bucket (check, list objects, read by object),
 * user type key → user → count (list users candidates), and tuple id → record (writes, reads, duplicates).
 */
export class TupleIndex {
  readonly all = new Map<string, TupleRecord>();
  private readonly objects = new Map<string, Map<string, Map<string, Bucket>>>();
  private readonly users = new Map<string, Map<string, number>>();
  /** user string → the records naming it as their user (reverse expansion of list objects). */
  private readonly recordsByUser = new Map<string, Set<TupleRecord>>();
  /** Parsed users and objects shared between records (100k tuples name far fewer distinct users). */
  private readonly parsedUsers = new Map<string, { value: ParsedUser; count: number }>();
  private readonly parsedObjects = new Map<string, { value: ParsedObject; count: number }>();

  /** Returns the shared parsed form of a record's user and object, so records do not each hold a copy. */
  intern(record: TupleRecord): TupleRecord {
    const user = this.parsedUsers.get(record.key.user);
    if (user) {
      record.user = user.value;
      record.key.user = user.value.raw;
    }
    const object = this.parsedObjects.get(record.key.object);
    if (object) record.object = object.value;
    return record;
  }

  get size(): number {
    return this.all.size;
  }

  get(id: string): TupleRecord | undefined {
    return this.all.get(id);
  }

  bucket(type: string, id: string, relation: string): Bucket | undefined {
    return this.objects.get(type)?.get(id)?.get(relation);
  }

  /** Object ids of a type with at least one tuple. */
  objectIds(type: string): Iterable<string> {
    return this.objects.get(type)?.keys() ?? [];
  }

  relationsOf(type: string, id: string): Map<string, Bucket> | undefined {
    return this.objects.get(type)?.get(id);
  }

  /** Users (strings) whose type key is `typeKey` (`user` covers `user:x`; `user:*`; `group#member`). */
  usersOfKey(typeKey: string): Iterable<string> {
    return this.users.get(typeKey)?.keys() ?? [];
  }

  /** Records whose user is exactly `user` (`user:anne`, `user:*`, `group:eng#member`, `folder:x`). */
  recordsOfUser(user: string): Iterable<TupleRecord> {
    return this.recordsByUser.get(user) ?? [];
  }

  add(record: TupleRecord): void {
    this.intern(record);
    const { object, user, key } = record;
    let named = this.recordsByUser.get(key.user);
    if (!named) {
      named = new Set();
      this.recordsByUser.set(key.user, named);
    }
    named.add(record);
    const sharedUser = this.parsedUsers.get(key.user);
    if (sharedUser) sharedUser.count++;
    else this.parsedUsers.set(key.user, { value: user, count: 1 });
    const sharedObject = this.parsedObjects.get(key.object);
    if (sharedObject) sharedObject.count++;
    else this.parsedObjects.set(key.object, { value: object, count: 1 });
    this.all.set(tupleId(key.object, key.relation, key.user), record);
    let ids = this.objects.get(object.type);
    if (!ids) {
      ids = new Map();
      this.objects.set(object.type, ids);
    }
    let relations = ids.get(object.id);
    if (!relations) {
      relations = new Map();
      ids.set(object.id, relations);
    }
    let bucket = relations.get(key.relation);
    if (!bucket) {
      bucket = { byUser: new Map() };
      relations.set(key.relation, bucket);
    }
    bucket.byUser.set(key.user, record);
    if (user.relation) {
      bucket.usersets ??= new Map();
      bucket.usersets.set(key.user, record);
    }
    const userKey = user.wildcard ? user.type : user.typeKey;
    let users = this.users.get(userKey);
    if (!users) {
      users = new Map();
      this.users.set(userKey, users);
    }
    users.set(key.user, (users.get(key.user) ?? 0) + 1);
  }

  remove(id: string): TupleRecord | undefined {
    const record = this.all.get(id);
    if (!record) return undefined;
    this.all.delete(id);
    const { object, user, key } = record;
    const named = this.recordsByUser.get(key.user);
    named?.delete(record);
    if (named?.size === 0) this.recordsByUser.delete(key.user);
    const sharedUser = this.parsedUsers.get(key.user);
    if (sharedUser && --sharedUser.count === 0) this.parsedUsers.delete(key.user);
    const sharedObject = this.parsedObjects.get(key.object);
    if (sharedObject && --sharedObject.count === 0) this.parsedObjects.delete(key.object);
    const ids = this.objects.get(object.type);
    const relations = ids?.get(object.id);
    const bucket = relations?.get(key.relation);
    if (ids && relations && bucket) {
      bucket.byUser.delete(key.user);
      bucket.usersets?.delete(key.user);
      if (bucket.usersets?.size === 0) bucket.usersets = undefined;
      if (bucket.byUser.size === 0) relations.delete(key.relation);
      if (relations.size === 0) ids.delete(object.id);
      if (ids.size === 0) this.objects.delete(object.type);
    }
    const userKey = user.wildcard ? user.type : user.typeKey;
    const users = this.users.get(userKey);
    const count = users?.get(key.user) ?? 0;
    if (users && count <= 1) {
      users.delete(key.user);
      if (users.size === 0) this.users.delete(userKey);
    } else users?.set(key.user, count - 1);
    return record;
  }
}
