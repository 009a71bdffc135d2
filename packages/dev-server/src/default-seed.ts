import type { DevSeed } from './types';

/** Grant types every seeded client gets unless its seed entry lists its own. */
export const allGrantTypes: readonly string[] = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:openid:params:grant-type:ciba',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token',
];

const documentModel = `model
  schema 1.1

type user

type group
  relations
    define member: [user, group#member]

type tenant
  relations
    define member: [user, group#member]
    define support_agent: [user]

type order
  relations
    define tenant: [tenant]
    define can_view: member from tenant
    define can_refund: support_agent from tenant

type folder
  relations
    define parent: [folder]
    define owner: [user, group#member]
    define editor: [user, group#member] or owner or editor from parent
    define viewer: [user, group#member] or editor or viewer from parent

type doc
  relations
    define parent: [folder]
    define blocked: [user]
    define owner: [user, group#member]
    define editor: [user, group#member] or owner or editor from parent
    define viewer: ([user, group#member] or editor or viewer from parent) but not blocked
`;

/**
 * The built-in demo seed: tenants `acme` and `globex`, users `alice@acme` (admin, support),
 * `bob@acme` (member) and `carol@globex` (admin), the confidential agent client `agentgate-agent`,
 * the calendar connection `acme-calendar`, and a document store with folders in FGA.
 *
 * Passwords are the user names' first part followed by `-password` (`alice-password`).
 */
export const defaultSeed: DevSeed = {
  tenants: [
    { id: 'acme', name: 'Acme Corp' },
    { id: 'globex', name: 'Globex' },
  ],
  users: [
    {
      username: 'alice@acme',
      password: 'alice-password',
      sub: 'alice',
      email: 'alice@acme.example',
      name: 'Alice Anders',
      tenant: 'acme',
      roles: ['admin', 'support'],
    },
    {
      username: 'bob@acme',
      password: 'bob-password',
      sub: 'bob',
      email: 'bob@acme.example',
      name: 'Bob Brown',
      tenant: 'acme',
      roles: ['member'],
    },
    {
      username: 'carol@globex',
      password: 'carol-password',
      sub: 'carol',
      email: 'carol@globex.example',
      name: 'Carol Chen',
      tenant: 'globex',
      roles: ['admin'],
    },
  ],
  clients: [
    {
      clientId: 'agentgate-agent',
      clientSecret: 'agentgate-agent-secret',
      name: 'AgentGate Demo Agent',
      redirectUris: ['http://127.0.0.1:3000/callback', 'http://localhost:3000/callback'],
      grantTypes: [...allGrantTypes],
    },
  ],
  connections: [
    {
      name: 'acme-calendar',
      displayName: 'Acme Calendar',
      scopes: ['events.read', 'events.write'],
      scopeDescriptions: {
        'events.read': 'See the events in your Acme calendar',
        'events.write': 'Create, change and delete events in your Acme calendar',
      },
    },
  ],
  fga: {
    model: documentModel,
    tuples: [
      { user: 'user:alice', relation: 'member', object: 'group:acme-staff' },
      { user: 'user:bob', relation: 'member', object: 'group:acme-staff' },
      { user: 'user:carol', relation: 'member', object: 'group:globex-staff' },
      { user: 'group:acme-staff#member', relation: 'member', object: 'tenant:acme' },
      { user: 'user:alice', relation: 'support_agent', object: 'tenant:acme' },
      { user: 'group:globex-staff#member', relation: 'member', object: 'tenant:globex' },
      { user: 'tenant:acme', relation: 'tenant', object: 'order:1042' },
      { user: 'tenant:globex', relation: 'tenant', object: 'order:2001' },
      { user: 'user:alice', relation: 'owner', object: 'folder:acme-handbook' },
      { user: 'group:acme-staff#member', relation: 'viewer', object: 'folder:acme-handbook' },
      { user: 'folder:acme-handbook', relation: 'parent', object: 'folder:acme-policies' },
      { user: 'folder:acme-handbook', relation: 'parent', object: 'doc:acme-onboarding' },
      { user: 'folder:acme-policies', relation: 'parent', object: 'doc:acme-expenses' },
      { user: 'folder:acme-handbook', relation: 'parent', object: 'doc:acme-roadmap' },
      { user: 'user:bob', relation: 'blocked', object: 'doc:acme-roadmap' },
      { user: 'user:alice', relation: 'owner', object: 'doc:acme-salaries' },
      { user: 'user:carol', relation: 'owner', object: 'folder:globex-plans' },
      { user: 'folder:globex-plans', relation: 'parent', object: 'doc:globex-merger' },
    ],
  },
};
