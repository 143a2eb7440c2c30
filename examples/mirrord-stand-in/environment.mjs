// The environment the stand-in gives the command: what reaches a local process under real mirrord
// (`feature.env`, mirrord 3.250.0), with a JSON map standing in for the pod's environment.
//
//   local environment (kept: include/exclude never filter it)
//   < the pod's variables that include/exclude select (remote beats local)
//   < env_file (mirrord's dotenvy rules)  < override
//   then unset removes names, whatever their case, from all of it.
//
// `mapping` is not applied (the caller warns). Errors are returned as text, never thrown.
import { readFileSync } from "node:fs";

/**
 * Excluded from the pod's environment unless `include` names them: the variables mirrord's schema
 * lists for `feature.env.exclude` ("excluded by default") and `include` ("including these requires
 * specifying them with include").
 */
const DEFAULT_EXCLUDED = ["PATH", "HOME", "HOMEPATH", "CLASSPATH", "JAVA_EXE", "JAVA_HOME", "PYTHONPATH"];

/** `include`/`exclude`: a `;`-separated string or a list (mirrord joins a list with `;`, then splits). */
function patterns(value) {
  if (value === undefined || value === null) return undefined;
  return (Array.isArray(value) ? value.join(";") : String(value)).split(";");
}

/** mirrord's wildcards: `*` any run of characters, `?` exactly one; the whole name, case-sensitive. */
function wildcard(pattern) {
  const body = [...pattern]
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[\\^$.|+()[\]{}]/g, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "s");
}

/** The pod's variables that reach the process, as `include` or `exclude` select them. */
function selectRemote(pod, include, exclude) {
  const included = patterns(include);
  const excluded = patterns(exclude);
  if (included && excluded)
    return { error: "cannot use both `include` and `exclude` filters for environment variables" };
  const named = new Set(included ?? []);
  const allowed = (included ?? ["*"]).map(wildcard);
  const denied = (excluded ?? []).map(wildcard);
  const selected = {};
  for (const [name, value] of Object.entries(pod)) {
    if (DEFAULT_EXCLUDED.includes(name) && !named.has(name)) continue;
    if (denied.some((re) => re.test(name)) || !allowed.some((re) => re.test(name))) continue;
    selected[name] = value;
  }
  return { vars: selected };
}

/** The JSON map standing in for the pod's environment: an object of strings. */
export function readPodEnv(path) {
  let pod;
  try {
    pod = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    return { error: `cannot read the pod's environment ${path}: ${error.code ?? error.message}` };
  }
  const ok =
    pod &&
    typeof pod === "object" &&
    !Array.isArray(pod) &&
    Object.values(pod).every((v) => typeof v === "string");
  return ok ? { vars: pod } : { error: `the pod's environment ${path} must be a JSON object of strings` };
}

/**
 * An env file as mirrord reads it, with mirrord-up's own reader of mirrord's dotenvy rules
 * (src/config/env-file.ts, loaded through tsx: only when a session names a file). A problem is
 * reported by line and column, never by value (an env file holds secrets).
 */
async function readEnvFile(path, local) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    return { error: `cannot read the env file ${path}: ${error.code ?? error.message}` };
  }
  const { tsImport } = await import("tsx/esm/api");
  const { parseEnvFile } = await tsImport("../../src/config/env-file.ts", import.meta.url);
  const { vars, problems } = parseEnvFile(text, local);
  const [first] = problems;
  if (first) return { error: `the env file ${path}:${first.line}:${first.col}: ${first.message}` };
  return { vars };
}

/** `unset`: names as written (a string is one name), matched whatever their case. */
function unsetNames(value) {
  if (value === undefined || value === null) return new Set();
  return new Set((Array.isArray(value) ? value : [value]).map((name) => String(name).toLowerCase()));
}

/**
 * The command's complete environment: `local` (the stand-in's own), the pod's selected variables,
 * `env.env_file`, `env.override`, `extra` (what mirrord itself sets), minus `env.unset`.
 */
export async function processEnvironment(envConfig, local, pod, extra) {
  const config = envConfig && typeof envConfig === "object" ? envConfig : {};
  const remote = selectRemote(pod, config.include, config.exclude);
  if (remote.error) return remote;
  let fromFile = {};
  if (typeof config.env_file === "string") {
    const file = await readEnvFile(config.env_file, local);
    if (file.error) return file;
    fromFile = file.vars;
  }
  const env = { ...local, ...remote.vars, ...fromFile, ...(config.override ?? {}), ...extra };
  const unset = unsetNames(config.unset);
  for (const name of Object.keys(env)) if (unset.has(name.toLowerCase())) delete env[name];
  return { vars: env };
}
