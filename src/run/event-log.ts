/**
 * The run's events timeline: what happened to which service and who caused it, for `events`,
 * the dashboard and their followers. The last KEPT_EVENTS are kept; the supervisor records.
 */
import type { RunEvent } from "./control-types.js";

/** Events kept for the timeline. */
const KEPT_EVENTS = 1000;

export class EventLog {
  private readonly kept: RunEvent[] = [];
  private readonly followers = new Set<(event: RunEvent) => void>();

  /** `now`: milliseconds since the epoch (a test passes its own clock). */
  constructor(private readonly now: () => number = Date.now) {}

  record(service: string, kind: RunEvent["kind"], by?: RunEvent["by"], detail?: string): void {
    const event: RunEvent = { time: this.now(), service, kind, ...(by && { by }), ...(detail && { detail }) };
    this.kept.push(event);
    if (this.kept.length > KEPT_EVENTS) this.kept.shift();
    for (const follower of this.followers) follower(event);
  }

  events(): RunEvent[] {
    return [...this.kept];
  }

  /** Calls `listener` for every new event until the returned function is called. */
  follow(listener: (event: RunEvent) => void): () => void {
    this.followers.add(listener);
    return () => this.followers.delete(listener);
  }
}
