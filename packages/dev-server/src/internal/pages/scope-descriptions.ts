/**
 * What a scope lets an app do, in words a person reads on a consent or connect page. Seeds can
 * describe their own connection scopes (`DevConnection.scopeDescriptions`); these cover the OIDC
 * scopes and the demo API's defaults.
 */
export const builtInScopeDescriptions: Readonly<Record<string, string>> = {
  openid: 'Confirm who you are (your account id)',
  profile: 'See your name',
  email: 'See your email address',
  offline_access: 'Keep access while you are away (a refresh token)',
  'calendar:read': 'See your calendar events',
  'calendar:write': 'Create, change and delete your calendar events',
  'docs:read': 'Read the documents you can see',
  'orders:read': 'See orders and their status',
  'refunds:write': 'Issue refunds on orders',
  'events.read': 'See your calendar events',
  'events.write': 'Create, change and delete your calendar events',
};
