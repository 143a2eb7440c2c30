/**
 * Queue splitting (`feature.split_queues`). `messages: auto` reproduces upstream's
 * `SplitQueuesConfig::all_wildcard(key)`: one `queue_id: "*"` entry per queue kind whose jq
 * filter looks for the `mirrord-session=<key>` marker anywhere in the message's attributes.
 */
import { QUEUE_KINDS, type QueueKindName } from "../config/schema.js";

/** Where each queue kind keeps its message attributes (upstream's selector per kind). */
const ATTRIBUTE_SELECTORS: Record<QueueKindName, string> = {
  sqs: ".MessageAttributes",
  kafka: ".headers",
  gcp_pubsub: ".attributes",
  azure_service_bus: ".application_properties",
  redis_pubsub: ".",
  temporal: ".header",
  bullmq: ".",
};

/** Upstream's order of kinds in `all_wildcard`. */
export const ALL_QUEUE_KINDS = Object.keys(QUEUE_KINDS) as QueueKindName[];

export interface WildcardQueueSplit {
  queue_id: "*";
  queue_type: (typeof QUEUE_KINDS)[QueueKindName];
  jq_filter: string;
}

/** One wildcard entry per kind, in upstream's order, filtering on the session key. */
export function wildcardQueueSplits(key: string, kinds: readonly QueueKindName[]): WildcardQueueSplit[] {
  // The marker is a jq string literal; JSON string escaping is valid jq string escaping.
  const marker = JSON.stringify(`mirrord-session=${key}`);
  return ALL_QUEUE_KINDS.filter((kind) => kinds.includes(kind)).map((kind) => ({
    queue_id: "*",
    queue_type: QUEUE_KINDS[kind],
    jq_filter: `(${ATTRIBUTE_SELECTORS[kind]} // {}) | [.. | select(type == "string" and contains(${marker}))] | length > 0`,
  }));
}
