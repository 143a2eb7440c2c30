/**
 * The environment of a mirrord session. mirrord reads `MIRRORD_*` variables and lets them beat the
 * `-f` file. Upstream `mirrord up` resolves each session's config from the environment first and
 * then assigns the fields it decides (`assemble` in `mirrord/up/src/config.rs`), and its child takes
 * that config as final; so for those fields the user's variables have no effect upstream, while
 * mirrord-up's `-f` file would lose to them. mirrord-up therefore removes those variables from each
 * mirrord session's environment, and leaves every other `MIRRORD_*` variable alone (upstream lets
 * them through too). Pure: the environment is passed in.
 */
import type { MirrordConfig, SessionPlan } from "./assemble.js";
import { GENERATED_KEY_MARKER } from "./key.js";

/** One field of mirrord.json that mirrord-up writes, and the variables mirrord reads for it. */
export interface FieldVariables {
  /** A dotted path in mirrord.json; the row covers the field and everything under it. */
  field: string;
  /** The `MIRRORD_*` variables mirrord's config reads for it (mirrord/config/src, 3.250.0). */
  variables: readonly string[];
  /**
   * When they are removed from a session's environment: `always`, only in `split` mode, or
   * `never` (upstream lets them beat its config too, or there are none).
   */
  remove: "always" | "split" | "never";
  /** Why, in terms of what upstream does. */
  reason: string;
}

/** Every field mirrord-up writes (a test keeps this complete). */
export const FIELD_VARIABLES: readonly FieldVariables[] = [
  {
    field: "key",
    variables: ["MIRRORD_KEY"],
    remove: "always",
    reason: "upstream assigns the session key after reading the environment",
  },
  {
    field: "accept_invalid_certificates",
    variables: ["MIRRORD_ACCEPT_INVALID_CERTIFICATES"],
    remove: "never",
    reason: "upstream resolves common.* together with the environment, which wins",
  },
  {
    field: "operator",
    variables: ["MIRRORD_OPERATOR_ENABLE"],
    remove: "never",
    reason: "upstream resolves common.* together with the environment, which wins",
  },
  {
    field: "telemetry",
    variables: ["MIRRORD_TELEMETRY"],
    remove: "never",
    reason: "upstream resolves common.* together with the environment, which wins",
  },
  {
    field: "kube_context",
    variables: ["MIRRORD_KUBE_CONTEXT"],
    remove: "always",
    reason: "upstream assigns the context after reading the environment, also when none is configured",
  },
  {
    field: "target",
    variables: ["MIRRORD_IMPERSONATED_TARGET", "MIRRORD_TARGET_NAMESPACE"],
    remove: "always",
    reason: "upstream assigns path and namespace (also when absent) after reading the environment",
  },
  {
    field: "feature.env",
    variables: [
      "MIRRORD_OVERRIDE_ENV_VARS_INCLUDE",
      "MIRRORD_OVERRIDE_ENV_VARS_EXCLUDE",
      "MIRRORD_OVERRIDE_ENV_VARS_FILE",
      "MIRRORD_ENV_LOAD_FROM_PROCESS",
    ],
    remove: "always",
    reason: "upstream replaces feature.env with the service's env",
  },
  {
    field: "feature.network.incoming.mode",
    variables: ["MIRRORD_AGENT_TCP_STEAL_TRAFFIC"],
    remove: "always",
    reason: "upstream always sets steal",
  },
  {
    field: "feature.network.incoming.http_filter",
    variables: [
      "MIRRORD_HTTP_HEADER_FILTER",
      "MIRRORD_HTTP_PATH_FILTER",
      "MIRRORD_HTTP_METHOD_FILTER",
      "MIRRORD_HTTP_HEADER_FILTER_JQ",
      "MIRRORD_HTTP_FILTER_PORTS",
    ],
    remove: "split",
    reason: "upstream replaces the filter in split mode; in replace mode it keeps the environment's",
  },
  {
    field: "feature.network.incoming.ignore_ports",
    variables: [],
    remove: "never",
    reason: "no variable",
  },
  { field: "feature.copy_target", variables: [], remove: "never", reason: "no variable" },
  { field: "feature.split_queues", variables: [], remove: "never", reason: "no variable" },
  { field: "feature.magic", variables: [], remove: "never", reason: "no variable" },
];

/** The variables set in `env` that a session's mirrord must not see. */
export function overridingVariables(session: SessionPlan, env: NodeJS.ProcessEnv): string[] {
  if (session.type === "local") return [];
  return FIELD_VARIABLES.filter(
    (row) => row.remove === "always" || (row.remove === "split" && session.mode === "split"),
  )
    .flatMap((row) => row.variables)
    .filter((name) => env[name] !== undefined);
}

/** Every variable removed from at least one session, sorted: for one warning (names only). */
export function removedVariables(sessions: readonly SessionPlan[], env: NodeJS.ProcessEnv): string[] {
  return [...new Set(sessions.flatMap((s) => overridingVariables(s, env)))].sort();
}

/**
 * A session's environment: a `local` service gets `base` plus its `env.override` (no mirrord, so
 * nothing is removed); a mirrord session gets `base` without the overriding variables, a generated
 * key, and JSON progress (structured readiness and failures, no spinner in the merged output).
 */
export function sessionEnv(base: NodeJS.ProcessEnv, session: SessionPlan): NodeJS.ProcessEnv {
  if (session.type === "local") return { ...base, ...session.env };
  const env = { ...base };
  for (const name of overridingVariables(session, base)) delete env[name];
  // A generated key cannot be said on the command line (`--key` means provided): mirrord reads
  // it from MIRRORD_KEY behind its marker. The file holds the same key.
  if (session.keyKind === "generated" && session.mirrordConfig) {
    env.MIRRORD_KEY = `${GENERATED_KEY_MARKER}${session.mirrordConfig.key}`;
  }
  env.MIRRORD_PROGRESS_MODE = "json";
  return env;
}

/** The dotted paths of every leaf field of a mirrord.json (for the completeness test). */
export function fieldPaths(config: MirrordConfig): string[] {
  const paths: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      Object.keys(value).length > 0
    ) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    } else paths.push(path);
  };
  walk(config, "");
  return paths;
}
