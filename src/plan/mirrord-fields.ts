/**
 * Which mirrord.json fields a session's config uses, and from which mirrord version each is
 * accepted. The table (mirrord-field-versions.json) is generated from mirrord's JSON Schema at
 * every release tag by scripts/mirrord-field-versions.mjs.
 */

import type { MirrordConfig } from "./assemble.js";
import table from "./mirrord-field-versions.json" with { type: "json" };

/** The oldest and newest release the table was built from. */
export const FIELD_TABLE_RANGE = { oldest: table.oldest, newest: table.newest };

const SINCE: Readonly<Record<string, string>> = table.fields;

/** `mirrord 3.250.0` (what `mirrord --version` prints) -> `3.250.0`; undefined when not a version. */
export function parseMirrordVersion(output: string): string | undefined {
  return /^mirrord (\d+\.\d+\.\d+)\b/m.exec(output.trim())?.[1];
}

/** Negative, zero or positive as `a` is older than, the same as, or newer than `b`. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The table's fields that `config` sets, in the table's order. */
export function fieldsUsed(config: MirrordConfig): string[] {
  return Object.keys(SINCE).filter((field) => isSet(config, field));
}

function isSet(config: MirrordConfig, field: string): boolean {
  const [path = "", value] = field.split("=");
  let nodes: unknown[] = [config];
  for (const part of path.split(".")) {
    nodes = nodes.flatMap((n) => {
      if (typeof n !== "object" || n === null) return [];
      if (part !== "*") return part in n ? [(n as Record<string, unknown>)[part]] : [];
      // Any entry: split_queues is a map of queue ids, or (wildcard form) a list.
      return Object.values(n);
    });
  }
  return nodes.some((n) => n !== undefined && (value === undefined || n === value));
}

/** A field `config` uses that `version` does not accept yet. */
export interface TooNewField {
  field: string;
  since: string;
}

/** The fields of `config` that mirrord `version` predates, per the table. */
export function fieldsTooNew(config: MirrordConfig, version: string): TooNewField[] {
  return fieldsUsed(config).flatMap((field) => {
    const since = SINCE[field] as string;
    return compareVersions(version, since) < 0 ? [{ field, since }] : [];
  });
}

/** `feature.split_queues.*.queue_type=Kafka` -> `feature.split_queues queue_type "Kafka"`, for messages. */
export function describeField(field: string): string {
  const [path = "", value] = field.split("=");
  if (value === undefined) return path;
  const at = path.lastIndexOf(".");
  return `${path.slice(0, at).replace(/\.\*$/, "")} ${path.slice(at + 1)} "${value}"`;
}
