/**
 * `mirrord-up doctor`: every check `up` and its mirrord sessions would fail on, at once, before
 * anything starts — this machine, each kube context the services use, and the sessions against
 * each other. Each check is one line, ok / warning / problem, a problem with a hint.
 */
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { dirname } from "node:path";
import { ControlClient, locateInstance, NotRunningError } from "../control/client.js";
import { existingRuntimeDir, runtimeDirPath } from "../control/runtime-dir.js";
import { UserError } from "../core/errors.js";
import type { CheckLine, ClusterGroup, ClusterNeed } from "../kube/cluster-checks.js";
import type { SessionPlan } from "../plan/assemble.js";
import { describeRequest, findConflicts, type RouteDecider, routeVerdicts } from "../plan/conflicts.js";
import { resolveLifecycleFiles } from "../plan/lifecycle-files.js";
import {
  compareVersions,
  describeField,
  FIELD_TABLE_RANGE,
  fieldsTooNew,
  fieldsUsed,
  parseMirrordVersion,
} from "../plan/mirrord-fields.js";
import { checkPort } from "../run/readiness-probe.js";
import { type CliIO, writeOutput } from "./io.js";
import { type ConfigFlags, type Prepared, prepare } from "./prepare.js";
import { checkPrograms, findMirrord, needsMirrordBinary } from "./up-command.js";

export interface DoctorFlags extends ConfigFlags {
  mirrordBin?: string;
  /** `--request-timeout`: how long each cluster request may take. */
  requestTimeoutSeconds: number;
  format: "text" | "json";
}

/** A titled group of lines: "this machine", "the cluster: context …", "sessions". */
interface ReportGroup {
  title: string;
  context?: string;
  checks: CheckLine[];
}

interface DoctorReport {
  groups: ReportGroup[];
  problems: number;
  warnings: number;
}

/** What a test may replace: the route decision (default: `route`'s, `routeVerdicts`). */
export interface DoctorSeams {
  route?: RouteDecider;
}

export async function runDoctorCommand(
  flags: DoctorFlags,
  services: readonly string[],
  io: CliIO,
  seams: DoctorSeams = {},
): Promise<number> {
  const report = await doctorReport(flags, services, io, seams);
  await writeOutput(
    io.stdout,
    flags.format === "json" ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report),
  );
  return report.problems > 0 ? 1 : 0;
}

/**
 * `up --preflight`: the report on stderr; true when `up` may start (no problem). The file's own
 * errors are thrown as they are for `up`.
 */
export async function preflight(
  flags: Omit<DoctorFlags, "format">,
  services: readonly string[],
  io: CliIO,
): Promise<boolean> {
  const report = await doctorReport({ ...flags, format: "text" }, services, io, {});
  io.stderr.write(formatReport(report));
  if (report.problems > 0) io.stderr.write("mirrord-up: --preflight found a problem; nothing was started\n");
  return report.problems === 0;
}

async function doctorReport(
  flags: DoctorFlags,
  services: readonly string[],
  io: CliIO,
  seams: DoctorSeams,
): Promise<DoctorReport> {
  // The file itself must be valid (exit 2 otherwise); its paths are checked below, as checks.
  const prepared = prepare(flags, services, io, { files: false });
  const machine = machineChecks(prepared, flags, io);
  const needs = clusterNeeds(prepared.plan.sessions, prepared);
  const { checkClusters } = await import("../kube/cluster-checks.js");
  const [machineLines, clusters] = await Promise.all([
    machine,
    checkClusters(needs, {
      env: io.env,
      timeoutMs: flags.requestTimeoutSeconds * 1000,
      acceptInvalidCertificates: prepared.loaded.config.common?.accept_invalid_certificates === true,
    }),
  ]);
  const groups: ReportGroup[] = [
    { title: "this machine", checks: machineLines },
    ...clusters.map((c) => ({
      title: `the cluster: context "${c.context}"${c.server ? ` (${c.server})` : ""}`,
      context: c.context,
      checks: c.checks,
    })),
    { title: "sessions", checks: sessionChecks(prepared, clusters, seams) },
  ];
  const all = groups.flatMap((g) => g.checks);
  return {
    groups,
    problems: all.filter((c) => c.status === "problem").length,
    warnings: all.filter((c) => c.status === "warning").length,
  };
}

function formatReport(report: DoctorReport): string {
  const lines: string[] = [];
  for (const group of report.groups) {
    lines.push(group.title);
    for (const c of group.checks) {
      const who = c.services?.length ? ` [${c.services.join(", ")}]` : "";
      lines.push(`  ${c.status.padEnd(7)}  ${c.check}: ${c.message}${who}`);
      if (c.hint) lines.push(`           hint: ${c.hint}`);
    }
  }
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  lines.push(
    report.problems + report.warnings === 0
      ? "no problem found"
      : `${plural(report.problems, "problem")}, ${plural(report.warnings, "warning")}`,
  );
  return `${lines.join("\n")}\n`;
}

// ---- this machine -------------------------------------------------------------------------

async function machineChecks(prepared: Prepared, flags: DoctorFlags, io: CliIO): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  if (needsMirrordBinary(prepared)) lines.push(...(await mirrordChecks(prepared, flags, io)));
  lines.push(...diagnosticsAsChecks("programs", () => checkPrograms(prepared, io), "every program is found"));
  lines.push(
    ...diagnosticsAsChecks(
      "files",
      () => resolveLifecycleFiles(prepared.plan.sessions, prepared.loaded, prepared.projectDir, io),
      "working directories and env files are there",
    ),
  );
  lines.push(...(await portChecks(prepared.plan.sessions)));
  lines.push(runtimeDirCheck(io));
  lines.push(await alreadyRunningCheck(flags, io));
  return lines;
}

async function mirrordChecks(prepared: Prepared, flags: DoctorFlags, io: CliIO): Promise<CheckLine[]> {
  let path: string;
  try {
    path = findMirrord(flags, io);
  } catch (error) {
    return diagnosticsAsChecks("mirrord", () => {
      throw error;
    });
  }
  const output = await runVersion(path, io.env);
  const version = output === undefined ? undefined : parseMirrordVersion(output);
  if (version === undefined) {
    return [
      {
        check: "mirrord",
        status: "problem",
        message: `\`${path} --version\` did not print a mirrord version`,
        hint: "is it mirrord? reinstall it: https://github.com/metalbear-co/mirrord#installation",
      },
    ];
  }
  const lines: CheckLine[] = [{ check: "mirrord", status: "ok", message: `mirrord ${version} (${path})` }];
  const tooNew = new Map<string, { since: string; services: string[]; where: string }>();
  let used = 0;
  for (const s of prepared.plan.sessions) {
    if (!s.mirrordConfig) continue;
    used = Math.max(used, fieldsUsed(s.mirrordConfig).length);
    for (const { field, since } of fieldsTooNew(s.mirrordConfig, version)) {
      const entry = tooNew.get(field) ?? { since, services: [], where: fieldLocation(prepared, s, field) };
      entry.services.push(s.name);
      tooNew.set(field, entry);
    }
  }
  for (const [field, { since, services, where }] of tooNew) {
    lines.push({
      check: "mirrord-fields",
      status: "problem",
      message: `${where}${describeField(field)} needs mirrord ${since} or newer; this one is ${version}`,
      hint: "upgrade mirrord (https://github.com/metalbear-co/mirrord#installation), or point at a newer one with --mirrord-bin",
      services,
    });
  }
  if (tooNew.size === 0) {
    const older = compareVersions(version, FIELD_TABLE_RANGE.oldest) < 0;
    lines.push({
      check: "mirrord-fields",
      status: older ? "warning" : "ok",
      message: older
        ? `mirrord ${version} is older than every release the field table knows (${FIELD_TABLE_RANGE.oldest} to ${FIELD_TABLE_RANGE.newest})`
        : `mirrord ${version} accepts every field the generated configs use (table: ${FIELD_TABLE_RANGE.oldest} to ${FIELD_TABLE_RANGE.newest})`,
    });
  }
  return lines;
}

/**
 * `file:line:col: ` of what in mirrord-up.yaml makes a session's mirrord.json set `field`; empty
 * for the fields mirrord-up always writes (`key`, `feature.magic.aws`, the incoming mode).
 */
function fieldLocation(prepared: Prepared, s: SessionPlan, field: string): string {
  const at = (...path: string[]) => {
    const { file, line, col } = prepared.loaded.locate(path);
    return file ? `${file}:${line ?? 0}:${col ?? 0}: ` : "";
  };
  const service = prepared.loaded.config.services[s.name];
  const [first = "", second = "", third = "", , fifth = ""] = field.split("=")[0]?.split(".") ?? [];
  if (first === "target") return at("services", s.name, "target", second);
  if (first === "kube_context")
    return service?.context ? at("services", s.name, "context") : at("common", "context");
  if (["operator", "telemetry", "accept_invalid_certificates"].includes(first)) return at("common", first);
  if (second === "env") return at("services", s.name, "env", third);
  if (third === "incoming" && field.includes("http_filter"))
    return at("services", s.name, "http_filter", fifth);
  if (field.endsWith("ignore_ports")) return at("services", s.name, "ignore_ports");
  if (second === "split_queues") return at("services", s.name, "messages");
  if (second === "copy_target" && service?.default_mode) return at("services", s.name, "default_mode");
  return "";
}

/** What `mirrord --version` prints, or undefined when it does not run within 5 s. */
function runVersion(path: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(path, ["--version"], { env, timeout: 5000, maxBuffer: 64 * 1024 }, (error, stdout) =>
      resolve(error ? undefined : stdout),
    );
  });
}

/** What to do about a problem whose diagnostic brings no hint of its own, per check. */
const FALLBACK_HINTS: Record<string, string> = {
  programs: "install it, or fix `run.command` (a bare name is looked up on PATH)",
  files: "create it, or fix the path in mirrord-up.yaml (relative paths start at the project directory)",
};

/** A check's `UserError` diagnostics as problem lines (file:line:col in the message); ok when none. */
function diagnosticsAsChecks(check: string, run: () => unknown, ok?: string): CheckLine[] {
  try {
    run();
    return ok ? [{ check, status: "ok", message: ok }] : [];
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return error.diagnostics.map((d) => {
      const hint = d.hint ?? FALLBACK_HINTS[check];
      return {
        check,
        status: "problem" as const,
        message: `${d.file ? `${d.file}:${d.line ?? 0}:${d.col ?? 0}: ` : ""}${d.message}`,
        ...(hint && { hint }),
      };
    });
  }
}

async function portChecks(sessions: readonly SessionPlan[]): Promise<CheckLine[]> {
  const byPort = new Map<number, string[]>();
  for (const s of sessions) {
    const check = s.lifecycle.readyWhen?.check;
    if (check?.kind === "port") byPort.set(check.port, [...(byPort.get(check.port) ?? []), s.name]);
  }
  const lines = await Promise.all(
    [...byPort].map(async ([port, services]): Promise<CheckLine> => {
      if (!(await checkPort(port, AbortSignal.timeout(1000))).ok) {
        return { check: "ready-port", status: "ok", message: `port ${port} is free on 127.0.0.1`, services };
      }
      return {
        check: "ready-port",
        status: "problem",
        message: `port ${port} of ready_when is already in use on 127.0.0.1: the service would count as ready before it starts`,
        hint: `stop what listens there (\`ss -ltnp 'sport = :${port}'\` shows it), or change the service's port`,
        services,
      };
    }),
  );
  return lines;
}

function runtimeDirCheck(io: CliIO): CheckLine {
  try {
    const dir = existingRuntimeDir(io.env, io.cwd);
    if (dir) return { check: "runtime-dir", status: "ok", message: `the runtime directory ${dir} is usable` };
    const path = runtimeDirPath(io.env, io.cwd);
    accessSync(dirname(path), constants.W_OK | constants.X_OK);
    return { check: "runtime-dir", status: "ok", message: `the runtime directory ${path} can be created` };
  } catch (error) {
    if (error instanceof UserError)
      return diagnosticsAsChecks("runtime-dir", () => {
        throw error;
      })[0] as CheckLine;
    const path = runtimeDirPath(io.env, io.cwd);
    return {
      check: "runtime-dir",
      status: "problem",
      message: `the runtime directory ${path} cannot be created (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      hint: "set MIRRORD_UP_RUNTIME_DIR to a private directory of your own",
    };
  }
}

async function alreadyRunningCheck(flags: DoctorFlags, io: CliIO): Promise<CheckLine> {
  try {
    const instance = locateInstance(flags.configFile, io.env, io.cwd);
    if (!instance.socketPath) return notRunning();
    const info = await new ControlClient(instance).get("/v1/info");
    return {
      check: "already-running",
      status: "problem",
      message: `mirrord-up is already running for ${instance.shownFile} (pid ${info.pid})`,
      hint: "`mirrord-up ps` shows it, `mirrord-up down` stops it",
    };
  } catch (error) {
    if (error instanceof NotRunningError) return notRunning();
    if (!(error instanceof UserError)) throw error;
    const d = error.diagnostics[0];
    return {
      check: "already-running",
      status: "warning",
      message: d?.message ?? "cannot tell",
      ...(d?.hint && { hint: d.hint }),
    };
  }
}

function notRunning(): CheckLine {
  return { check: "already-running", status: "ok", message: "no other up is running for this file" };
}

// ---- the cluster --------------------------------------------------------------------------

function clusterNeeds(sessions: readonly SessionPlan[], prepared: Prepared): ClusterNeed[] {
  const operatorFlag = prepared.loaded.config.common?.operator;
  return sessions.flatMap((s): ClusterNeed[] => {
    const config = s.mirrordConfig;
    if (!config) return [];
    return [
      {
        service: s.name,
        context: s.context,
        contextSource: s.contextOrigin?.source ?? "current-context",
        namespace: config.target?.namespace ?? s.inferTarget?.namespace,
        targetPath: config.target?.path,
        infer: s.inferTarget !== undefined,
        operator: operatorReason(s, operatorFlag),
      },
    ];
  });
}

/** Why a session needs the operator, or undefined. */
function operatorReason(s: SessionPlan, operatorFlag: boolean | undefined): string | undefined {
  if (s.mode === "replace") return "replace mode";
  if (s.mirrordConfig?.feature.split_queues !== undefined) return "queue splitting";
  if (s.mirrordConfig?.feature.copy_target !== undefined) return "copying the target";
  if (operatorFlag === true) return "operator: true";
  return undefined;
}

// ---- sessions -----------------------------------------------------------------------------

function sessionChecks(
  prepared: Prepared,
  clusters: readonly ClusterGroup[],
  seams: DoctorSeams,
): CheckLine[] {
  const operatorFlag = prepared.loaded.config.common?.operator;
  // Each session's cluster, by name: the resolved copies below name their context differently.
  const groups = new Map(
    prepared.plan.sessions.map((s) => [s.name, clusters.find((c) => c.requested === (s.context ?? ""))]),
  );
  const report = findConflicts(
    prepared.plan.sessions.map((s) => asResolved(s, groups.get(s.name))),
    {
      operator: (s) => (operatorFlag === false ? false : groups.get(s.name)?.operator),
      route: seams.route ?? routeVerdicts,
    },
  );
  const lines: CheckLine[] = report.conflicts.map((c) => ({
    check: "conflicts",
    status: "problem",
    message: `${c.services.join(" and ")} would steal the same requests on ${c.where}: ${c.why}`,
    hint: c.request
      ? `give them filters that tell ${describeRequest(c.request)} apart, or run one of them`
      : "run one of them at a time, give them different targets, or use split mode with filters (and the operator)",
    services: c.services,
  }));
  if (lines.length === 0) {
    lines.push({
      check: "conflicts",
      status: "ok",
      message: `no conflict found (${report.asked} candidate request${report.asked === 1 ? "" : "s"} asked)`,
    });
  }
  return lines;
}

/**
 * A session as the cluster resolved it, so that sessions on one target compare equal however
 * the file names it: the inferred target, the context's default namespace, and the context's
 * resolved name (the current context, named or not, is one context).
 */
function asResolved(s: SessionPlan, group: ClusterGroup | undefined): SessionPlan {
  const config = s.mirrordConfig;
  if (!config || !group?.namespace) return s;
  const path = config.target?.path ?? group.inferred.get(s.name);
  if (path === undefined) return s;
  const namespace = config.target?.namespace ?? s.inferTarget?.namespace ?? group.namespace;
  return { ...s, context: group.context, mirrordConfig: { ...config, target: { path, namespace } } };
}
