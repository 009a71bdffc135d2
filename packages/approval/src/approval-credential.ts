import { GateDenied, getCredential } from '@agentgate/core';
import type { ApprovalChannel, AuthorizationDetail } from './types';

/** The credential key under which the approval guard attaches the approval it consumed for this call. */
export const APPROVAL_CREDENTIAL = 'approval';

/** The approval a call runs under, as the tool sees it. */
export interface ApprovedAction {
  readonly approvalId: string;
  readonly channel: ApprovalChannel;
  /** What the user approved (equal to what was requested). */
  readonly authorizationDetails: readonly AuthorizationDetail[];
  /** CIBA: the access token that carries the approval, for a downstream API to check. Absent for in-app. */
  readonly accessToken?: string;
}

/**
 * Reads, inside a gated tool, the approval the approval guard consumed for this call.
 *
 * @throws GateDenied `FORBIDDEN` outside a gated call, or when no approval guard ran for it
 * @example const { approvalId, authorizationDetails } = getApproval();
 */
export function getApproval(): ApprovedAction {
  return getCredential<ApprovedAction>(APPROVAL_CREDENTIAL);
}

/**
 * Reads, inside a gated tool, the CIBA access token that carries the user's approval (its `authorization_details`
 * are what the user approved), to send to a downstream API that checks it.
 *
 * @throws GateDenied `FORBIDDEN` outside a gated call, when no approval guard ran, or for an in-app approval (no token)
 * @example await fetch(refundsUrl, { method: 'POST', headers: { authorization: `Bearer ${getApprovalToken()}` } });
 */
export function getApprovalToken(): string {
  const approval = getApproval();
  if (approval.accessToken === undefined) {
    throw new GateDenied(
      'FORBIDDEN',
      `approval ${approval.approvalId} was given in-app: it carries no token`,
    );
  }
  return approval.accessToken;
}
