import { asSchema, type FlexibleSchema, type JSONSchema7, jsonSchema, type Schema } from 'ai';
import { type AgentGateToolResult, isAgentGateResult } from '../client';

/** The JSON Schema of a decision output (`{ agentgate: { kind, code, message, guard?, details } }`). */
const DECISION_JSON_SCHEMA: JSONSchema7 = {
  type: 'object',
  properties: {
    agentgate: {
      type: 'object',
      properties: {
        kind: { type: 'string', enum: ['denied', 'interrupt'] },
        code: { type: 'string' },
        message: { type: 'string' },
        guard: { type: 'string' },
        details: { type: 'object' },
      },
      required: ['kind', 'code', 'message', 'details'],
    },
  },
  required: ['agentgate'],
};

/**
 * A gated tool's output schema: the tool's own output, or an AgentGate decision (what the tool returns instead when
 * the gate denied or interrupted the call). The tool's schema is tried first, so its outputs keep the value (and any
 * transform) it gives them; a decision is accepted only as `isAgentGateResult` recognises it (a known code with the
 * details core promises for it). Re-validating stored UI messages (`validateUIMessages`) then accepts both.
 */
export function outputOrDecisionSchema<Output>(
  outputSchema: FlexibleSchema<Output>,
): Schema<Output | AgentGateToolResult> {
  const own = asSchema(outputSchema);
  return jsonSchema<Output | AgentGateToolResult>(
    () => {
      const ownJson = own.jsonSchema;
      const union = (schema: JSONSchema7): JSONSchema7 => ({ anyOf: [schema, DECISION_JSON_SCHEMA] });
      return isPromiseLike(ownJson) ? Promise.resolve(ownJson).then(union) : union(ownJson);
    },
    {
      async validate(value) {
        const result =
          own.validate === undefined ? { success: true as const, value } : await own.validate(value);
        if (result.success) return { success: true, value: result.value as Output };
        if (isAgentGateResult(value)) return { success: true, value };
        return result; // the tool's own error: it says what the output lacks
      },
    },
  );
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
