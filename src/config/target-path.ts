/**
 * Target paths as mirrord's `Target::from_str` accepts them (mirrord/config/src/target.rs and
 * target/label.rs): `kind/name[/container/c]`, where kind is one of WORKLOAD_KINDS (`deploy` is
 * short for `deployment`), or `label/key=value[,key=value...][/container/c]`, or the word
 * `targetless`. (mirrord also lets through an empty name or extra segments after the container;
 * those are refused here, as they cannot name anything.)
 */

/** Workload kinds mirrord can target by name, in the spelling mirrord prints. */
const WORKLOAD_KINDS = [
  "deployment",
  "pod",
  "rollout",
  "job",
  "cronjob",
  "statefulset",
  "service",
  "replicaset",
] as const;

/** Every kind a path can start with: the workloads, and `label` (pods selected by labels). */
const TARGET_KINDS = [...WORKLOAD_KINDS, "label"] as const;

export type TargetKind = (typeof TARGET_KINDS)[number];

/** A parsed target path. */
interface TargetPath {
  kind: TargetKind;
  /** The workload's name; for a label target, the selector as written (`app=api,tier=web`). */
  name: string;
  container?: string;
  /** A label target's labels, in the order written. */
  labels?: Record<string, string>;
}

/** Kinds that `replace` mode (copy_target with scale_down) can work with; upstream `compatible_with`. */
export const REPLACEABLE_KINDS: ReadonlySet<TargetKind> = new Set([
  "deployment",
  "statefulset",
  "replicaset",
  "job",
  "cronjob",
]);

export type ParsedTargetPath = { ok: true; target: TargetPath } | { ok: false; error: string };

/** Parses a path; returns an error sentence instead of throwing. */
export function parseTargetPath(path: string): ParsedTargetPath {
  const parts = path.split("/");
  const rawKind = parts[0] ?? "";
  if (rawKind === "label") return parseLabelPath(path);
  const kind = rawKind === "deploy" ? "deployment" : rawKind;
  if (!(WORKLOAD_KINDS as readonly string[]).includes(kind)) {
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

/**
 * mirrord's `LabelTarget::from_str`: the last `/container/` splits off the container (non-empty,
 * no `/`); the rest is comma-separated `key=value` requirements, each key non-empty and used once
 * (values may be empty and may contain `=` or `/`); at least one label.
 */
function parseLabelPath(path: string): ParsedTargetPath {
  const shape = `"${path}" is not a label target: write label/key=value[,key=value...][/container/name]`;
  if (!path.startsWith("label/")) return { ok: false, error: shape };
  const rest = path.slice("label/".length);
  let selector = rest;
  let container: string | undefined;
  const split = rest.lastIndexOf("/container/");
  if (split >= 0) {
    container = rest.slice(split + "/container/".length);
    if (container === "" || container.includes("/")) return { ok: false, error: shape };
    selector = rest.slice(0, split);
  }
  const labels = new Map<string, string>();
  if (selector !== "") {
    for (const requirement of selector.split(",")) {
      const eq = requirement.indexOf("=");
      if (eq <= 0) return { ok: false, error: shape };
      const key = requirement.slice(0, eq);
      if (labels.has(key)) return { ok: false, error: `"${path}" sets the label \`${key}\` twice` };
      labels.set(key, requirement.slice(eq + 1));
    }
  }
  if (labels.size === 0) {
    return { ok: false, error: `"${path}" is not a label target: it needs at least one label` };
  }
  return {
    ok: true,
    target: {
      kind: "label",
      name: selector,
      labels: Object.fromEntries(labels),
      ...(container !== undefined && { container }),
    },
  };
}
