import type { AgentSession, StandardSchemaV1 } from '@agentgate/core';
import { asSchema, type FlexibleSchema } from 'ai';
import { SESSION_CONTEXT_KEY, sessionOf } from '../session-context';

/**
 * The tool's input schema (any AI SDK `FlexibleSchema`: zod, Standard Schema, `jsonSchema()`) as the Standard Schema
 * the gate validates arguments with, so the gate checks exactly what the tool declares.
 */
export function argumentsSchema(inputSchema: FlexibleSchema<unknown>): StandardSchemaV1 {
  const schema = asSchema(inputSchema);
  return {
    '~standard': {
      version: 1,
      vendor: 'agentgate-ai-sdk',
      async validate(value) {
        if (!schema.validate) return { value };
        const result = await schema.validate(value);
        return result.success ? { value: result.value } : { issues: issuesOf(result.error) };
      },
    },
  };
}

/**
 * The context schema of a gated tool: it keeps the session under `agentgateSession` (validated as a session, so a
 * context that is not one is refused) and validates the rest with the tool's own `contextSchema`, when it has one.
 */
export function sessionAwareContextSchema(
  contextSchema: FlexibleSchema<unknown> | undefined,
): StandardSchemaV1<unknown, Record<string, unknown> | undefined> {
  const own = contextSchema === undefined ? undefined : asSchema(contextSchema);
  return {
    '~standard': {
      version: 1,
      vendor: 'agentgate-ai-sdk',
      async validate(value) {
        if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
          return { issues: [{ message: 'a gated tool context must be an object' }] };
        }
        const { [SESSION_CONTEXT_KEY]: session, ...rest } = (value ?? {}) as Record<string, unknown>;
        if (session !== undefined && sessionOf({ [SESSION_CONTEXT_KEY]: session }) === undefined) {
          return {
            issues: [
              { message: `${SESSION_CONTEXT_KEY} must be an AgentSession`, path: [SESSION_CONTEXT_KEY] },
            ],
          };
        }
        let validated: unknown = value === undefined ? undefined : rest;
        if (own?.validate) {
          const result = await own.validate(value === undefined ? undefined : rest);
          if (!result.success) return { issues: issuesOf(result.error) };
          validated = result.value;
        }
        if (session === undefined) return { value: validated as Record<string, unknown> | undefined };
        return {
          value: {
            ...((validated ?? {}) as Record<string, unknown>),
            [SESSION_CONTEXT_KEY]: session as AgentSession,
          },
        };
      },
    },
  };
}

/** The tool's own context: the validated context without the session (a tool never sees the session's token). */
export function withoutSession(context: unknown): unknown {
  if (typeof context !== 'object' || context === null || !(SESSION_CONTEXT_KEY in context)) return context;
  const { [SESSION_CONTEXT_KEY]: _session, ...rest } = context as Record<string, unknown>;
  return rest;
}

/** Issues from a schema library's error: zod's and Standard Schema's `issues` when there, else its message. */
function issuesOf(error: unknown): StandardSchemaV1.Issue[] {
  const found = [error, (error as { cause?: unknown } | undefined)?.cause]
    .map((candidate) => (candidate as { issues?: unknown } | undefined)?.issues)
    .find((issues): issues is StandardSchemaV1.Issue[] => Array.isArray(issues) && issues.length > 0);
  if (found) return found;
  return [{ message: error instanceof Error ? error.message : 'the schema refused the value' }];
}
