import { isDeepStrictEqual } from 'node:util';
import { errors } from 'oidc-provider';

type Detail = Record<string, unknown>;

interface DetailType {
  /** Checks one detail of this type; returns a problem description or undefined. */
  check(detail: Detail): string | undefined;
  /** A one-line, human readable summary for the approval inbox. */
  summarize(detail: Detail): string;
}

const currencyPattern = /^[A-Z]{3}$/;

const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isAmount = (value: unknown): boolean =>
  (typeof value === 'number' && Number.isFinite(value) && value >= 0) ||
  (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value));

function formatAmount(amount: unknown, currency: unknown): string {
  const value = typeof amount === 'number' ? amount.toFixed(2) : String(amount);
  return `${value} ${String(currency)}`;
}

function requireFields(
  detail: Detail,
  checks: Record<string, (value: unknown) => boolean>,
): string | undefined {
  for (const [field, valid] of Object.entries(checks)) {
    if (!valid(detail[field])) return `'${field}' is missing or invalid`;
  }
  return undefined;
}

const money = {
  amount: isAmount,
  currency: (value: unknown) => typeof value === 'string' && currencyPattern.test(value),
};

/** The authorization details types the dev server accepts (RFC 9396), with their checks and summaries. */
export const authorizationDetailTypes: Record<string, DetailType> = {
  refund: {
    check: (detail) =>
      requireFields(detail, {
        orderId: (value) => isNonEmptyString(value) || typeof value === 'number',
        ...money,
      }),
    summarize: (detail) =>
      `Refund ${formatAmount(detail.amount, detail.currency)} on order ${String(detail.orderId)}`,
  },
  payment: {
    check: (detail) => requireFields(detail, { creditor: isNonEmptyString, ...money }),
    summarize: (detail) =>
      `Pay ${formatAmount(detail.amount, detail.currency)} to ${String(detail.creditor)}` +
      (isNonEmptyString(detail.reference) ? ` (${detail.reference})` : ''),
  },
  calendar_event: {
    check: (detail) =>
      requireFields(detail, {
        action: (value) => value === 'create' || value === 'update' || value === 'delete',
        title: isNonEmptyString,
      }) ??
      (detail.start !== undefined && !isNonEmptyString(detail.start)
        ? "'start' must be a string"
        : undefined),
    summarize: (detail) =>
      `${capitalize(String(detail.action))} calendar event "${String(detail.title)}"` +
      (isNonEmptyString(detail.start) ? ` at ${detail.start}` : ''),
  },
  agent_action: {
    check: (detail) =>
      requireFields(detail, { tool: isNonEmptyString, argsDigest: isNonEmptyString }) ??
      (detail.summary !== undefined && typeof detail.summary !== 'string'
        ? "'summary' must be a string"
        : undefined),
    summarize: (detail) =>
      isNonEmptyString(detail.summary)
        ? `${detail.summary} (tool ${String(detail.tool)})`
        : `Run tool ${String(detail.tool)}`,
  },
};

function capitalize(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

/** Readable summary of one detail; unknown types fall back to their type name. */
export function summarizeAuthorizationDetail(detail: Detail): string {
  const type = typeof detail.type === 'string' ? detail.type : 'unknown';
  const definition = authorizationDetailTypes[type];
  return definition ? definition.summarize(detail) : `Authorization of type ${type}`;
}

/** `features.richAuthorizationRequests.types` for oidc-provider 9.13: each type has a `validate` function. */
export function richAuthorizationRequestTypes(): Record<
  string,
  { validate(ctx: unknown, detail: Detail): void }
> {
  return Object.fromEntries(
    Object.entries(authorizationDetailTypes).map(([type, definition]) => [
      type,
      {
        validate(_ctx: unknown, detail: Detail) {
          const problem = definition.check(detail);
          if (problem) {
            throw new errors.InvalidAuthorizationDetails(
              `authorization details of type '${type}': ${problem}`,
            );
          }
        },
      },
    ]),
  );
}

/** Parses the `authorization_details` request parameter (already validated by oidc-provider). */
export function parseAuthorizationDetails(value: unknown): Detail[] {
  if (typeof value !== 'string' || value.length === 0) return [];
  const parsed: unknown = JSON.parse(value);
  return Array.isArray(parsed)
    ? parsed.filter((item): item is Detail => typeof item === 'object' && item !== null)
    : [];
}

/**
 * RFC 9396 §6: a token request may ask for a subset of what the user approved, never for more.
 * No request means everything approved; any requested item that deep-equals no approved item fails
 * with `invalid_authorization_details`.
 */
export function approvedAuthorizationDetails(
  requested: Detail[],
  approved: readonly unknown[] | undefined,
): Detail[] | undefined {
  const granted = (approved ?? []).filter(
    (item): item is Detail => typeof item === 'object' && item !== null,
  );
  if (requested.length === 0) return granted.length > 0 ? granted : undefined;
  for (const detail of requested) {
    if (!granted.some((item) => isDeepStrictEqual(item, detail))) {
      throw new errors.InvalidAuthorizationDetails('authorization_details exceed what the user approved');
    }
  }
  return requested;
}
