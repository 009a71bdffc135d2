import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSeed, loadSeedFile, validateSeed } from '../src/index';

describe('validateSeed', () => {
  it('accepts the default seed', () => {
    expect(validateSeed(defaultSeed)).toBe(defaultSeed);
  });

  it.each([
    [{ ...defaultSeed, tenants: 'acme' }, 'seed.tenants must be an array'],
    [
      { ...defaultSeed, users: [{ ...defaultSeed.users[0], roles: 'admin' }] },
      'seed.users[0].roles is missing or invalid',
    ],
    [{ ...defaultSeed, clients: [] }, 'seed.clients must list at least one client'],
    [
      { ...defaultSeed, clients: [{ ...defaultSeed.clients[0], redirectUris: ['not a url'] }] },
      'seed.clients[0].redirectUris is missing or invalid',
    ],
    [
      { ...defaultSeed, users: [defaultSeed.users[0], defaultSeed.users[0]] },
      "seed: duplicate user sub 'alice'",
    ],
    [
      { ...defaultSeed, users: [{ ...defaultSeed.users[0], tenant: 'initech' }] },
      "seed: user 'alice@acme' has unknown tenant 'initech'",
    ],
    [{ ...defaultSeed, fga: { tuples: [] } }, 'seed.fga.model must be an OpenFGA model in DSL syntax'],
  ])('rejects an invalid seed (%#)', (seed, message) => {
    expect(() => validateSeed(seed)).toThrow(new TypeError(message));
  });
});

describe('loadSeedFile', () => {
  it('reads a JSON seed and rejects malformed JSON', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'agentgate-seed-'));
    const good = join(directory, 'good.json');
    const bad = join(directory, 'bad.json');
    await writeFile(good, JSON.stringify(defaultSeed));
    await writeFile(bad, '{ "tenants": ');
    await expect(loadSeedFile(good)).resolves.toEqual(defaultSeed);
    await expect(loadSeedFile(bad)).rejects.toThrow(/not valid JSON/);
  });
});
