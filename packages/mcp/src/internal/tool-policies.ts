import { assertKnownOptions, type Guard, isRisk, type Risk } from '@agentgate/core';
import { requireScopes } from '@agentgate/identity';
import type { RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ProtectedToolOptions, ProtectMcpServerOptions } from '../protect-mcp-server';

const OPTIONS = [
  'gate',
  'verifier',
  'resource',
  'authorizationServers',
  'tools',
  'requiredScopes',
  'scopesSupported',
  'resourceName',
  'stepUpUrl',
  'sessionIdleSeconds',
];
const TOOL_OPTIONS = ['guards', 'risk', 'scopes', 'visible'];

/** A tool's protection, checked: the scope guard first, then its own guards. */
export interface ToolPolicy {
  guards: readonly Guard[];
  risk: Risk;
  scopes: readonly string[];
  visible?: ProtectedToolOptions['visible'];
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length > 0);
}

/** Checks every option now: a misuse is a `TypeError` at creation, not a failed call later. */
export function validate(options: ProtectMcpServerOptions): Map<string, ToolPolicy> {
  assertKnownOptions('protectMcpServer', options, OPTIONS);
  const { gate, verifier, resource, authorizationServers, tools } = options;
  if (typeof gate?.run !== 'function')
    throw new TypeError('protectMcpServer: gate must be a gate (createGate)');
  if (typeof verifier !== 'function' || typeof verifier.verify !== 'function') {
    throw new TypeError(
      'protectMcpServer: verifier must be an access-token verifier (createAccessTokenVerifier)',
    );
  }
  if (typeof resource !== 'string' || !URL.canParse(resource) || new URL(resource).hash !== '') {
    throw new TypeError('protectMcpServer: resource must be an absolute URL without a fragment');
  }
  if (!isStringArray(authorizationServers) || authorizationServers.length === 0) {
    throw new TypeError('protectMcpServer: authorizationServers must be a non-empty array of issuer URLs');
  }
  for (const name of ['requiredScopes', 'scopesSupported'] as const) {
    if (options[name] !== undefined && !isStringArray(options[name])) {
      throw new TypeError(`protectMcpServer: ${name} must be an array of scopes`);
    }
  }
  if (options.stepUpUrl !== undefined && typeof options.stepUpUrl !== 'function') {
    throw new TypeError('protectMcpServer: stepUpUrl must be a function');
  }
  const idle = options.sessionIdleSeconds;
  if (idle !== undefined && (!Number.isInteger(idle) || idle < 1)) {
    throw new TypeError('protectMcpServer: sessionIdleSeconds must be a positive integer');
  }
  if (typeof tools !== 'object' || tools === null)
    throw new TypeError('protectMcpServer: tools must be an object');
  const policies = new Map<string, ToolPolicy>();
  for (const [name, tool] of Object.entries(tools)) {
    assertKnownOptions('protectMcpServer', tool, TOOL_OPTIONS, `tools.${name}`);
    const risk = tool.risk ?? 'low';
    if (!isRisk(risk))
      throw new TypeError(`protectMcpServer: tools.${name}.risk must be low, medium or high`);
    if (tool.scopes !== undefined && !isStringArray(tool.scopes)) {
      throw new TypeError(`protectMcpServer: tools.${name}.scopes must be an array of scopes`);
    }
    if (tool.guards !== undefined && !Array.isArray(tool.guards)) {
      throw new TypeError(`protectMcpServer: tools.${name}.guards must be an array`);
    }
    if (tool.visible !== undefined && typeof tool.visible !== 'function') {
      throw new TypeError(`protectMcpServer: tools.${name}.visible must be a function`);
    }
    const scopes = [...(tool.scopes ?? [])];
    const guards = [...(scopes.length > 0 ? [requireScopes(...scopes)] : []), ...(tool.guards ?? [])];
    gate.assertPolicy({ name, risk }, guards);
    policies.set(name, { guards, risk, scopes, ...(tool.visible ? { visible: tool.visible } : {}) });
  }
  return policies;
}

/** The same set of names on both sides: a tool registered without a policy (or the reverse) fails closed, now. */
export function assertToolsMatch(
  tools: Readonly<Record<string, RegisteredTool>>,
  policies: Map<string, ToolPolicy>,
): void {
  for (const name of Object.keys(tools)) {
    if (!policies.has(name)) {
      throw new TypeError(`protectMcpServer: tool '${name}' is registered but has no entry in options.tools`);
    }
  }
  for (const name of policies.keys()) {
    if (!(name in tools))
      throw new TypeError(`protectMcpServer: options.tools names '${name}', which is not registered`);
  }
}
