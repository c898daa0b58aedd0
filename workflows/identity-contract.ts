/**
 * The identity workflow's contract: its id, input, messages (signals and the status query) and the
 * shapes they carry. The API, the warm-up workflow and tests import this module, never the workflow
 * body, so the API process does not load workflow code.
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { IdentityConfig } from '../domain/identity-config';
import type { AutoWithdrawSettings } from '../domain/invitations';
import type { ActionKind } from '../domain/steps';
import type { WorkingHours } from '../domain/working-hours';

export type { IdentityConfig } from '../domain/identity-config';

/** Keyword search attributes so operators can filter runs per identity and per workspace in the UI. */
export const IDENTITY_ID_SEARCH_ATTRIBUTE = defineSearchAttributeKey('PacerIdentityId', 'KEYWORD');
export const WORKSPACE_ID_SEARCH_ATTRIBUTE = defineSearchAttributeKey('PacerWorkspaceId', 'KEYWORD');
/** What needs a person (domain/operator-attention flags); absent when nothing does: `PacerAttention IS NOT NULL`. */
export const ATTENTION_SEARCH_ATTRIBUTE = defineSearchAttributeKey('PacerAttention', 'KEYWORD_LIST');

/** The workflow type, for clients that start it by name (the API never loads workflow code). */
export const IDENTITY_WORKFLOW_TYPE = 'identityWorkflow';

export function identityWorkflowId(identityId: string): string {
  return `identity/${identityId}`;
}

/** Today's use, per local day of the identity; plain JSON so it crosses continue-as-new. */
export interface DayUsage {
  localDate: string;
  used: Record<ActionKind, number>;
  /** When the next action of each kind may happen (spacing across the window). */
  nextSlotAt: Partial<Record<ActionKind, number>>;
}

/** Why a kind (or withdrawals) holds back after a failure, and until when; plain JSON. */
export interface Hold {
  /** null: until something changes (a signal), e.g. the LinkedIn account is reconnected. */
  until: number | null;
  reason: string;
  /** Consecutive failures, for the exponential back-off. */
  failures: number;
}

export interface IdentityWorkflowInput {
  identityId: string;
  workspaceId: string;
  /** The configuration the API committed; the workflow re-reads it from PostgreSQL at every pass. */
  config: IdentityConfig;
  /** The workspace's shared daily scraping pool (scrape budget = pool + the identity's own). */
  workspaceScrapingPool: number;
  /** Carried across continue-as-new. */
  usage?: DayUsage;
  /** Carried across continue-as-new: kinds holding back after failures. */
  holds?: Partial<Record<ActionKind | 'withdrawal', Hold>>;
  /** Carried across continue-as-new: when each inbox's replies were last read (workflow time). */
  lastReplySyncAt?: Record<string, number>;
}

export type IdentityActivity = 'in-window' | 'waiting-for-window';

export interface KindPacing {
  limit: number;
  used: number;
  left: number;
  /** Epoch ms of the next spaced slot for this kind today, or null when none is planned. */
  nextSlotAt: number | null;
  /** Epoch ms when the earliest waiting lead step of this kind is due, or null when none waits. */
  nextDueAt: number | null;
  /** Set while the kind holds back after a failure: until when, and why. */
  heldUntil: number | null;
  holdReason: string | null;
}

export interface IdentityStatus {
  identityId: string;
  /** The workflow's clock when it answered (the server's time; differs from wall time only in tests). */
  now: number;
  configVersion: number;
  activity: IdentityActivity;
  /** Human-readable reason, the same text the Temporal UI shows as current details. */
  waitingFor: string | null;
  inWindow: boolean;
  /** Epoch ms: end of the window the identity is in now, or null outside working hours. */
  currentWindowEnd: number | null;
  /** Epoch ms: the earliest window start after now. */
  nextWindowStart: number;
  workingHours: WorkingHours;
  /** Today's budgets and spacing per kind (local day); scrapes include the workspace pool. */
  pacing: Record<ActionKind, KindPacing>;
  likesEnabled: boolean;
  /** Epoch ms when raised LinkedIn limits fall back to the recommended values, or null. */
  raisedLimitsFallBackAt: number | null;
  autoWithdraw: AutoWithdrawSettings;
  /** Epoch ms when the next withdrawal is due (performed at once if inside working hours, else when they start), or null. */
  nextWithdrawalDueAt: number | null;
  /** Set while withdrawals hold back after a failure. */
  withdrawalsHeldUntil: number | null;
}

/**
 * The identity's record changed (committed first): the workflow applies the carried configuration
 * at once, when newer than its own, and re-reads the record from PostgreSQL on its next pass.
 */
export const identityConfigChanged = defineSignal<[IdentityConfig]>('identityConfigChanged');
/** Campaigns, leads, inboxes or invitations of this identity changed: re-read what is due. */
export const campaignsChanged = defineSignal('campaignsChanged');
export const workspaceScrapingPoolChanged = defineSignal<[number]>('workspaceScrapingPoolChanged');
/** The identity was deleted: the workflow ends (its history stays in Temporal). */
export const identityDeleted = defineSignal('identityDeleted');
export const identityStatus = defineQuery<IdentityStatus>('identityStatus');
