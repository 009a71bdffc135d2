// The approvals and their guard

// Inside a tool: the approval the call runs under
export type { ApprovedAction } from './approval-credential';
export { APPROVAL_CREDENTIAL, getApproval, getApprovalToken } from './approval-credential';
export { createApprovals } from './create-approvals';
// Errors
export type { ApprovalFailureStage, ApprovalRequestFailedOptions } from './errors';
export { ApprovalRequestFailed } from './errors';
// Provider rules
export { AUTH0_BINDING_MESSAGE_RULES } from './internal/options';
export type {
  ApprovalChannel,
  ApprovalGuardOptions,
  ApprovalInput,
  ApprovalMode,
  ApprovalStatus,
  Approvals,
  ApprovalsFetch,
  ApprovalsOptions,
  ApprovalView,
  ApprovalWorker,
  AuthorizationDetail,
  BindingMessageRules,
  CibaOptions,
  DecideOptions,
  ListApprovalsFilter,
  ResumeReport,
} from './types';
