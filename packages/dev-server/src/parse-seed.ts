import { readFile } from 'node:fs/promises';
import type { DevSeed } from './types';

type Check = (value: unknown) => boolean;

const isString: Check = (value) => typeof value === 'string' && value.length > 0;
const isStringArray: Check = (value) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

function checkList(seed: Record<string, unknown>, key: string, fields: Record<string, Check>): void {
  const list = seed[key];
  if (!Array.isArray(list)) throw new TypeError(`seed.${key} must be an array`);
  list.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null)
      throw new TypeError(`seed.${key}[${index}] must be an object`);
    for (const [field, valid] of Object.entries(fields)) {
      if (!valid((item as Record<string, unknown>)[field])) {
        throw new TypeError(`seed.${key}[${index}].${field} is missing or invalid`);
      }
    }
  });
}

function unique(values: string[], what: string): void {
  const seen = new Set<string>();
  for (const value of values) {
    if (seen.has(value)) throw new TypeError(`seed: duplicate ${what} '${value}'`);
    seen.add(value);
  }
}

/**
 * Checks that a value is a valid {@link DevSeed} and returns it typed.
 *
 * @throws TypeError naming the first invalid field.
 */
export function validateSeed(seed: unknown): DevSeed {
  if (typeof seed !== 'object' || seed === null) throw new TypeError('seed must be an object');
  const record = seed as Record<string, unknown>;
  checkList(record, 'tenants', { id: isString, name: isString });
  checkList(record, 'users', {
    username: isString,
    password: isString,
    sub: isString,
    email: isString,
    name: isString,
    tenant: isString,
    roles: isStringArray,
  });
  checkList(record, 'clients', {
    clientId: isString,
    clientSecret: isString,
    name: isString,
    redirectUris: (value) => isStringArray(value) && (value as string[]).every((uri) => URL.canParse(uri)),
    grantTypes: (value) => value === undefined || isStringArray(value),
  });
  checkList(record, 'connections', {
    name: isString,
    displayName: isString,
    scopes: isStringArray,
    scopeDescriptions: (value) =>
      value === undefined ||
      (typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.values(value).every((description) => isString(description))),
  });
  const fga = record.fga as Record<string, unknown> | undefined;
  if (typeof fga !== 'object' || fga === null || !isString(fga.model)) {
    throw new TypeError('seed.fga.model must be an OpenFGA model in DSL syntax');
  }
  checkList(fga, 'tuples', { user: isString, relation: isString, object: isString });

  const typed = seed as DevSeed;
  if (typed.clients.length === 0) throw new TypeError('seed.clients must list at least one client');
  unique(
    typed.users.map((user) => user.sub),
    'user sub',
  );
  unique(
    typed.users.map((user) => user.username.toLowerCase()),
    'username',
  );
  unique(
    typed.clients.map((client) => client.clientId),
    'clientId',
  );
  const tenants = new Set(typed.tenants.map((tenant) => tenant.id));
  for (const user of typed.users) {
    if (!tenants.has(user.tenant))
      throw new TypeError(`seed: user '${user.username}' has unknown tenant '${user.tenant}'`);
  }
  return typed;
}

/**
 * Reads and validates a JSON seed file.
 *
 * @throws TypeError when the file is not valid JSON or not a valid seed.
 */
export async function loadSeedFile(path: string): Promise<DevSeed> {
  const text = await readFile(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`seed file ${path} is not valid JSON`, { cause: error });
  }
  return validateSeed(parsed);
}
