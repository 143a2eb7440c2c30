/**
 * Target paths as mirrord's `Target::from_str` accepts them: `kind/name[/container/c]`, where kind
 * is one of TARGET_KINDS (`deploy` is short for `deployment`), or the word `targetless`.
 */

/** Workload kinds mirrord can target, in the spelling mirrord prints. */
export const TARGET_KINDS = [
  "deployment",
  "pod",
  "rollout",
  "job",
  "cronjob",
  "statefulset",
  "service",
  "replicaset",
] as const;

export type TargetKind = (typeof TARGET_KINDS)[number];

/** A parsed target path. */
export interface TargetPath {
  kind: TargetKind;
  name: string;
  container?: string;
}

/** Kinds that `replace` mode (copy_target with scale_down) can work with; upstream `compatible_with`. */
export const REPLACEABLE_KINDS: ReadonlySet<TargetKind> = new Set([
  "deployment",
  "statefulset",
  "replicaset",
  "job",
  "cronjob",
]);

/** Parses a path; returns an error sentence instead of throwing. */
export function parseTargetPath(
  path: string,
): { ok: true; target: TargetPath } | { ok: false; error: string } {
  const parts = path.split("/");
  const rawKind = parts[0] ?? "";
  const kind = rawKind === "deploy" ? "deployment" : rawKind;
  if (!(TARGET_KINDS as readonly string[]).includes(kind)) {
    const hint = parts.length === 1 ? ` (did you mean "deployment/${path}" or "pod/${path}"?)` : "";
    return {
      ok: false,
      error: `"${path}" is not a target path: it must start with one of ${TARGET_KINDS.join(", ")}${hint}`,
    };
  }
  const name = parts[1];
  if (!name) return { ok: false, error: `"${path}" has no name after "${rawKind}/"` };
  if (parts.length === 2) return { ok: true, target: { kind: kind as TargetKind, name } };
  if (parts.length === 4 && parts[2] === "container" && parts[3]) {
    return { ok: true, target: { kind: kind as TargetKind, name, container: parts[3] } };
  }
  return {
    ok: false,
    error: `"${path}" is not a target path: after the name only "/container/<name>" may follow`,
  };
}
