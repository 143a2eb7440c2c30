/**
 * `restart:` as a pure decision: given the policy, how many policy restarts came right before,
 * how the session ended and how long it ran, restart it (after how long) or not. Backoff doubles
 * from 1 s to 30 s; a session that ran for 10 s or more starts the count afresh.
 */
import type { RestartPolicy } from "../plan/lifecycle.js";

const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
/** A run at least this long was healthy: the next failure is attempt 1 again. */
const BACKOFF_RESET_AFTER_MS = 10_000;

export interface RestartDecision {
  /** How long to wait before starting again. */
  delayMs: number;
  /** Which restart this is in the current streak, from 1. */
  attempt: number;
}

/**
 * `previousAttempts`: restarts by the policy since the count was last reset (0 for a first end).
 * `exitStatus`: the status as a shell reports it (0 = success). Undefined = do not restart.
 */
export function nextRestart(
  policy: RestartPolicy,
  previousAttempts: number,
  exitStatus: number,
  uptimeMs: number,
): RestartDecision | undefined {
  if (policy.kind === "no") return undefined;
  if (policy.kind === "on-failure" && exitStatus === 0) return undefined;
  const attempt = (uptimeMs >= BACKOFF_RESET_AFTER_MS ? 0 : previousAttempts) + 1;
  if (policy.kind === "on-failure" && policy.maxRetries !== undefined && attempt > policy.maxRetries) {
    return undefined;
  }
  return { delayMs: backoffDelay(attempt), attempt };
}

/** 1 s, 2 s, 4 s, ... at most 30 s. */
export function backoffDelay(attempt: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

/** `on-failure, attempt 2 of 5`, `always, attempt 3`: for the status line. */
export function describeAttempt(policy: RestartPolicy, attempt: number): string {
  if (policy.kind === "on-failure" && policy.maxRetries !== undefined) {
    return `on-failure, attempt ${attempt} of ${policy.maxRetries}`;
  }
  return `${policy.kind}, attempt ${attempt}`;
}
