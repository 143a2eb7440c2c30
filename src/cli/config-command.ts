/** `mirrord-up config`, `validate` and `schema`: show what would run without running it. */
import { stringify } from "yaml";
import { formatRestartPolicy } from "../config/lifecycle-schema.js";
import { upConfigJsonSchema } from "../config/schema.js";
import { type Diagnostic, formatDiagnostic, UserError } from "../core/errors.js";
import type { RunPlan, SessionPlan } from "../plan/assemble.js";
import type { Lifecycle } from "../plan/lifecycle.js";
import { renderMirrordJson } from "../plan/mirrord-json.js";
import { formatDuration } from "../text/duration.js";
import { type CliIO, writeOutput } from "./io.js";
import { writePrivateFiles } from "./output-dir.js";
import { type ConfigFlags, prepare, serviceNames } from "./prepare.js";
import { type ResolveFlags, resolveInferredTargets } from "./resolve-targets.js";
import { checkPrograms, findMirrord, needsMirrordBinary } from "./up-command.js";

export interface ConfigCommandFlags extends ResolveFlags {
  format: "yaml" | "json";
  outputDir?: string;
  /** `--no-resolve`: do not ask the cluster; inferred targets are shown as pending. */
  resolve: boolean;
  /** `--services`: only the file's service names, one a line. */
  servicesOnly?: boolean;
}

/** The document `config` prints: one entry per selected service. */
function describePlan(plan: RunPlan): Record<string, unknown> {
  const services: Record<string, unknown> = {};
  for (const session of plan.sessions) services[session.name] = describeSession(session);
  return { key: plan.key, services };
}

function describeSession(session: SessionPlan): Record<string, unknown> {
  const lifecycle = describeLifecycle(session.lifecycle);
  const withLifecycle = Object.keys(lifecycle).length > 0 ? { lifecycle } : {};
  if (session.type === "local") {
    return {
      type: "local",
      command: session.command,
      ...(Object.keys(session.env).length > 0 && { env: session.env }),
      ...withLifecycle,
    };
  }
  return {
    type: session.type,
    command: session.command,
    // Until the cluster is asked (the Kubernetes step), an omitted path is shown as pending.
    ...(session.inferTarget && { infer_target: true }),
    ...withLifecycle,
    config: session.mirrordConfig,
  };
}

/**
 * The lifecycle in the file's own words, defaults left out (`restart: no`, no dependencies);
 * paths resolved; `depends_on` always in its mapping form. An env file's values are not shown.
 */
function describeLifecycle(lifecycle: Lifecycle): Record<string, unknown> {
  const ready = lifecycle.readyWhen;
  const check = ready?.check;
  return {
    ...(lifecycle.restart.kind !== "no" && { restart: formatRestartPolicy(lifecycle.restart) }),
    ...(lifecycle.dependsOn.length > 0 && {
      depends_on: Object.fromEntries(lifecycle.dependsOn.map((d) => [d.service, { condition: d.condition }])),
    }),
    ...(lifecycle.oneShot && { one_shot: true }),
    ...(ready &&
      check && {
        ready_when: {
          [check.kind]:
            check.kind === "port"
              ? check.port
              : check.kind === "http"
                ? check.url
                : check.kind === "log"
                  ? check.pattern
                  : check.command,
          interval: formatDuration(ready.intervalMs),
          timeout: formatDuration(ready.timeoutMs),
        },
      }),
    ...(lifecycle.workingDir && { working_dir: lifecycle.workingDir.path }),
    ...(lifecycle.envFile && { env_file: lifecycle.envFile.path }),
  };
}

export async function runConfigCommand(
  flags: ConfigCommandFlags,
  services: string[],
  io: CliIO,
): Promise<number> {
  if (flags.servicesOnly) {
    // What completion scripts read: every name, whatever `skip` says, in the file's order.
    await writeOutput(
      io.stdout,
      serviceNames(flags, io)
        .map((name) => `${name}\n`)
        .join(""),
    );
    return 0;
  }
  const prepared = prepare(flags, services, io);
  const { plan } = prepared;
  if (flags.resolve) await resolveInferredTargets(prepared, flags, io);
  printWarnings(plan, io);
  if (flags.outputDir) {
    // The same bytes `up` hands to mirrord; private because env overrides may hold secrets.
    const files = plan.sessions.flatMap((s) =>
      s.mirrordConfig ? [{ name: `${s.name}.json`, contents: renderMirrordJson(s.mirrordConfig) }] : [],
    );
    const dir = writePrivateFiles(flags.outputDir, io.cwd, files);
    io.stderr.write(`wrote ${files.length} mirrord config file${files.length === 1 ? "" : "s"} to ${dir}\n`);
    return 0;
  }
  const document = describePlan(plan);
  await writeOutput(
    io.stdout,
    flags.format === "json"
      ? `${JSON.stringify(document, null, 2)}\n`
      : stringify(document, { lineWidth: 0 }),
  );
  return 0;
}

/**
 * The file, then what `up` checks on this machine before it starts (`prepare` reads the working
 * directories and env files; `checkPrograms` and `findMirrord` are up's own). A program not found
 * here is a warning, not an error: the file is valid, and may be meant for another machine (CI
 * checking it has no mirrord); `up` refuses to start until it is found. The cluster is not asked.
 */
export async function runValidateCommand(
  flags: ConfigFlags & { mirrordBin?: string },
  io: CliIO,
): Promise<number> {
  const prepared = prepare(flags, [], io);
  const { loaded, plan } = prepared;
  printWarnings(plan, io);
  const missing = [
    ...userErrorsOf(() => needsMirrordBinary(prepared) && findMirrord(flags, io)),
    ...userErrorsOf(() => checkPrograms(prepared, io)),
  ];
  for (const d of missing) io.stderr.write(`${formatDiagnostic(d, undefined, "warning")}\n`);
  const all = Object.keys(loaded.config.services).sort();
  const skipped = all.filter((name) => !plan.sessions.some((s) => s.name === name));
  const names = plan.sessions.map((s) => s.name).join(", ");
  const n = missing.length;
  await writeOutput(
    io.stdout,
    `${loaded.file}: ${n > 0 ? "valid" : "ok"}, ${plan.sessions.length} service${plan.sessions.length === 1 ? "" : "s"} to run (${names})` +
      `${skipped.length ? `, ${skipped.length} skipped (${skipped.join(", ")})` : ""}, key ${JSON.stringify(plan.key)}` +
      `${n > 0 ? `; up would not start here: ${n} program${n === 1 ? "" : "s"} not found` : ""}\n` +
      "not checked: the cluster (kube contexts, namespaces, targets); `mirrord-up doctor` checks it, `mirrord-up` asks it when it starts\n",
  );
  return 0;
}

/** The diagnostics of the `UserError` `check` throws; none when it passes. */
function userErrorsOf(check: () => unknown): Diagnostic[] {
  try {
    check();
    return [];
  } catch (error) {
    if (error instanceof UserError) return error.diagnostics;
    throw error;
  }
}

export async function runSchemaCommand(io: CliIO): Promise<number> {
  await writeOutput(io.stdout, `${JSON.stringify(upConfigJsonSchema(), null, 2)}\n`);
  return 0;
}

function printWarnings(plan: RunPlan, io: CliIO): void {
  for (const w of plan.warnings) io.stderr.write(`warning: ${w.service}: ${w.message}\n`);
}
