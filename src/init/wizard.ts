/**
 * `mirrord-up init`: asks for the services (upstream `up/init.rs`, section 5 of the reference),
 * shows the YAML, and writes it only when asked to and never over a file without confirmation.
 * Differences from upstream: the command is split like a shell would split it, the run type is
 * asked first (so a `local` service is not asked about mirrord), when a cluster is reachable
 * namespaces and targets are picked from it instead of typed, each service is asked for
 * `ready_when`, `restart` and (with two or more services) `depends_on`, and the schema comment
 * points at a schema the file's directory can reach.
 */
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { Document, isMap, isSeq, visit } from "yaml";
import { type DependencyCondition, readyWhenSchema } from "../config/lifecycle-schema.js";
import { checkRustRegex } from "../config/rust-regex.js";
import { SERVICE_NAME_PATTERN, SERVICE_NAME_RULE } from "../config/schema.js";
import { parseTargetPath } from "../config/target-path.js";
import type { Choice, Prompter } from "../core/prompter.js";
import { splitShellWords } from "./shell-words.js";

/** What the wizard can read from a cluster, when one is reachable. */
export interface ClusterChoices {
  context: string;
  namespaces(): Promise<string[]>;
  workloads(namespace: string): Promise<string[]>;
}

export interface InitOptions {
  prompter: Prompter;
  /** The directory file names are relative to. */
  cwd: string;
  /** `-o`: the file name offered by default. */
  defaultOutput: string;
  /** The installed package's JSON Schema of the file (absolute), for the editor comment. */
  schemaPath: string;
  /** Its text, for a copy beside the file when the file's directory cannot reach it. */
  schemaText(): string;
  cluster?: ClusterChoices;
  /** Text for the user (questions go through the prompter). */
  say(text: string): void;
  exists(path: string): boolean;
  /** A file's text, or undefined when it cannot be read. */
  read(path: string): string | undefined;
  write(path: string, text: string): void;
}

/** The name of the schema copy written beside the file. */
export const SCHEMA_COPY_NAME = "mirrord-up.schema.json";

/** The file being built: only values that differ from the defaults. */
type Service = Record<string, unknown> & {
  run: { type?: string; command: string[] };
  ready_when?: Record<string, unknown>;
  depends_on?: string[] | Record<string, { condition: DependencyCondition }>;
};
interface InitConfig {
  common?: Record<string, boolean>;
  services: Record<string, Service>;
}

type Readiness = "started" | "port" | "http" | "log" | "command";

const RESTART_CHOICES: Choice<string>[] = [
  { name: "no: an ended service stays ended", value: "no" },
  { name: "on-failure: when it exits with an error", value: "on-failure" },
  { name: "always: whenever it ends", value: "always" },
];

const CONDITIONS: Choice<DependencyCondition>[] = [
  { name: "has started (service_started)", value: "service_started" },
  { name: "is ready (service_ready: its ready_when passed)", value: "service_ready" },
  {
    name: "has exited 0 (service_completed_successfully: a job such as a migration)",
    value: "service_completed_successfully",
  },
];

const IGNORE_PORT_PRESETS: Choice<number[] | "custom">[] = [
  { name: "None", value: [] },
  { name: "Istio (9090, 9091, 15090)", value: [9090, 9091, 15090] },
  { name: "Linkerd (4140, 4143, 4191)", value: [4140, 4143, 4191] },
  { name: "Custom...", value: "custom" },
];

/** Runs the whole wizard; returns the path written, or undefined when nothing was written. */
export async function runInitWizard(options: InitOptions): Promise<string | undefined> {
  const { prompter: ask, say } = options;
  if (options.cluster)
    say(`Using the cluster of context "${options.cluster.context}" for namespaces and targets.`);
  say("Step 1: common settings");
  const config: InitConfig = { services: {} };
  const common: Record<string, boolean> = {};
  const operator = await ask.confirm("Use the mirrord operator?", true);
  if (!operator) common.operator = false;
  // Without the operator there are no operator certificates to ask about.
  if (operator && (await ask.confirm("Accept invalid TLS certificates for the operator?", false)))
    common.accept_invalid_certificates = true;
  if (!(await ask.confirm("Enable anonymous telemetry?", true))) common.telemetry = false;
  if (Object.keys(common).length > 0) config.common = common;

  say("Step 2: services");
  do {
    const name = (
      await ask.input("Service name:", {
        validate: (v) => {
          const n = v.trim();
          if (!n) return "a name is required";
          if (!SERVICE_NAME_PATTERN.test(n)) return SERVICE_NAME_RULE;
          if (config.services[n]) return `there is already a service "${n}"`;
          return true;
        },
      })
    ).trim();
    config.services[name] = await askService(options);
  } while (await ask.confirm("Add another service?", false));

  let step = 3;
  if (Object.keys(config.services).length > 1) {
    say(`Step ${step++}: dependencies`);
    await askDependencies(ask, config);
  }

  const preview = renderInitYaml(config, schemaReference(options, options.defaultOutput));
  say(`Step ${step}: preview\n\n${preview}`);
  if (!(await ask.confirm("Save configuration to a file?", true))) {
    say("No file written.");
    return undefined;
  }
  for (;;) {
    const path = (
      await ask.input("Enter filename:", {
        default: options.defaultOutput,
        validate: (v) => (v.trim() ? true : "a file name is required"),
      })
    ).trim();
    if (options.exists(path) && !(await ask.confirm(`${path} exists. Overwrite?`, false))) continue;
    const reference = schemaReference(options, path);
    if (reference === `./${SCHEMA_COPY_NAME}`) await writeSchemaCopy(options, path);
    options.write(path, renderInitYaml(config, reference));
    say(`Wrote ${path}.`);
    return path;
  }
}

/**
 * The `$schema` of a file written to `path`: the installed schema, by a path relative to the
 * file, when the package is installed in the file's project (a `node_modules` in its directory or
 * above it), so that it follows upgrades; otherwise a copy beside the file. Never an absolute
 * path: the file is shared, the install folder is not.
 */
function schemaReference(options: InitOptions, path: string): string {
  return installedSchemaReference(resolve(options.cwd, path), options.schemaPath) ?? `./${SCHEMA_COPY_NAME}`;
}

/** The installed schema relative to `file`, when `file` is in the project it is installed in. */
export function installedSchemaReference(file: string, schemaPath: string): string | undefined {
  const parts = schemaPath.split(sep);
  const modules = parts.lastIndexOf("node_modules");
  if (modules < 0) return undefined;
  const project = parts.slice(0, modules).join(sep) || sep;
  const inProject = relative(project, dirname(file));
  if (inProject === ".." || inProject.startsWith(`..${sep}`) || isAbsolute(inProject)) return undefined;
  const reference = relative(dirname(file), schemaPath).split(sep).join("/");
  return reference.startsWith("../") ? reference : `./${reference}`;
}

/** Writes this version's schema beside the file; a different one there is replaced only on a yes. */
async function writeSchemaCopy(options: InitOptions, path: string): Promise<void> {
  const copy = join(dirname(path), SCHEMA_COPY_NAME);
  const text = options.schemaText();
  const existing = options.exists(copy) ? options.read(copy) : undefined;
  if (existing === text) return;
  if (
    options.exists(copy) &&
    !(await options.prompter.confirm(
      `${copy} exists and differs from this version's schema. Overwrite?`,
      true,
    ))
  ) {
    options.say(`Kept ${copy}; the file's schema comment points at it.`);
    return;
  }
  options.write(copy, text);
  options.say(`Wrote ${copy} (for editors; \`mirrord-up schema > ${copy}\` refreshes it).`);
}

/**
 * What each service waits for: services named in any order; a choice that would make a cycle is
 * not offered. Conditions default to service_ready for a service with `ready_when`.
 */
async function askDependencies(ask: Prompter, config: InitConfig): Promise<void> {
  const names = Object.keys(config.services);
  for (const name of names) {
    const service = config.services[name] as Service;
    const waitsFor = new Map<string, DependencyCondition>();
    for (;;) {
      const offered = names.filter(
        (other) => other !== name && !waitsFor.has(other) && !reaches(config, other, name),
      );
      if (offered.length === 0) break;
      const other = await ask.select(
        waitsFor.size === 0 ? `Does ${name} wait for another service?` : `Does ${name} wait for one more?`,
        [{ name: "no", value: "" }, ...offered.map((o) => ({ name: o, value: o }))],
      );
      if (!other) break;
      const hasCheck = config.services[other]?.ready_when !== undefined;
      const condition = await ask.select(
        `Start ${name} once ${other}`,
        CONDITIONS,
        hasCheck ? "service_ready" : "service_started",
      );
      waitsFor.set(other, condition);
    }
    if (waitsFor.size === 0) continue;
    // Compose's short form when every condition is the default.
    service.depends_on = [...waitsFor.values()].every((c) => c === "service_started")
      ? [...waitsFor.keys()]
      : Object.fromEntries([...waitsFor].map(([other, condition]) => [other, { condition }]));
  }
}

/** Whether `from` waits for `to`, directly or through others. */
function reaches(config: InitConfig, from: string, to: string, seen = new Set<string>()): boolean {
  if (from === to) return true;
  if (seen.has(from)) return false;
  seen.add(from);
  const dependsOn = config.services[from]?.depends_on ?? [];
  const next = Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn);
  return next.some((other) => reaches(config, other, to, seen));
}

async function askService(options: InitOptions): Promise<Service> {
  const ask = options.prompter;
  const type = await ask.select("How should it run?", [
    { name: "exec: mirrord exec (a local process)", value: "exec" },
    { name: "container: mirrord container (docker/podman run ...)", value: "container" },
    { name: "local: no mirrord (a local helper: database, dev server, migration)", value: "local" },
  ]);
  const service: Record<string, unknown> = {};
  if (type !== "local") {
    const mode = await ask.select("Mode:", [
      { name: "split: steal only your requests (session header)", value: "split" },
      { name: "replace: copy the workload, scale it down, take all its traffic", value: "replace" },
    ]);
    if (mode === "replace") service.default_mode = "replace";
    const target = await askTarget(options, mode);
    if (target !== undefined) service.target = target;
    if (mode === "split") {
      const filter = (
        await ask.input("HTTP header filter (regex; blank for the automatic session-key filter):", {
          validate: (v) =>
            v.trim() === "" || !checkRustRegex(v.trim())
              ? true
              : `invalid regex: ${checkRustRegex(v.trim())}`,
        })
      ).trim();
      if (filter) service.http_filter = { header_filter: filter };
    }
    const preset = await ask.select("Ports to ignore (left to the remote pod):", IGNORE_PORT_PRESETS);
    const ports = preset === "custom" ? await askPorts(ask) : preset;
    if (ports.length > 0) service.ignore_ports = ports;
  }
  const override: Record<string, string> = {};
  while (await ask.confirm("Add an environment variable override?", false)) {
    const variable = (
      await ask.input("Variable name:", {
        validate: (v) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.trim()) ? true : "letters, digits and _"),
      })
    ).trim();
    override[variable] = await ask.input("Value:");
  }
  if (Object.keys(override).length > 0) service.env = { override };
  const line = await ask.input(
    type === "container" ? "Command (e.g. docker run --rm my-image):" : "Command (quote words with spaces):",
    {
      validate: (v) => {
        const split = splitShellWords(v);
        if (!split.ok) return split.error;
        return split.words.length > 0 && split.words[0] !== "" ? true : "a command is required";
      },
    },
  );
  const split = splitShellWords(line);
  const command = split.ok ? split.words : [];
  const readyWhen = await askReadyWhen(ask, type);
  const restart = await ask.select("Restart it when it ends?", RESTART_CHOICES, "no");
  return {
    ...service,
    run: { ...(type !== "exec" && { type }), command },
    ...(readyWhen && { ready_when: readyWhen }),
    ...(restart !== "no" && { restart }),
  };
}

/** `ready_when`: one check, each answer checked by the file's own schema; undefined: the default. */
async function askReadyWhen(ask: Prompter, type: string): Promise<Record<string, unknown> | undefined> {
  const kind = await ask.select<Readiness>("When is it ready?", [
    {
      name: type === "local" ? "as soon as it has started" : "when mirrord says Ready!",
      value: "started",
    },
    { name: "when a TCP port on this machine accepts connections", value: "port" },
    { name: "when an HTTP URL answers 2xx or 3xx", value: "http" },
    { name: "when a line of its output matches a regex", value: "log" },
    { name: "when a command exits 0", value: "command" },
  ]);
  if (kind === "started") return undefined;
  const checked = (value: (text: string) => unknown) => (text: string) => {
    const parsed = readyWhenSchema.safeParse({ [kind]: value(text) });
    return parsed.success ? true : (parsed.error.issues[0]?.message ?? "invalid");
  };
  const words = (text: string) => {
    const split = splitShellWords(text);
    return split.ok ? split.words : [];
  };
  const value: Record<Exclude<Readiness, "started">, (text: string) => unknown> = {
    port: (text) => (/^\s*\d+\s*$/.test(text) ? Number(text) : Number.NaN),
    http: (text) => text.trim(),
    log: (text) => text,
    command: words,
  };
  const question = {
    port: "Port (on 127.0.0.1):",
    http: "URL (e.g. http://127.0.0.1:8080/health):",
    log: "Regex a line must match (e.g. listening on):",
    command: "Command (e.g. pg_isready -h 127.0.0.1):",
  }[kind];
  const answer = await ask.input(question, { validate: checked(value[kind]) });
  return { [kind]: value[kind](answer) };
}

async function askTarget(options: InitOptions, mode: string): Promise<unknown> {
  const ask = options.prompter;
  const choices: Choice<string>[] = [
    { name: "Infer from the service name (looked up when it runs)", value: "infer" },
    { name: options.cluster ? "Pick from the cluster" : "Specify a target", value: "specify" },
  ];
  if (mode === "split") choices.push({ name: "Run without a target (outgoing traffic only)", value: "none" });
  const how = await ask.select("Target:", choices);
  if (how === "none") return "none";
  const namespace = await askNamespace(options);
  if (how === "infer") return namespace ? { namespace } : undefined;
  const path = await askTargetPath(options, namespace);
  return { path, ...(namespace && { namespace }) };
}

async function askNamespace(options: InitOptions): Promise<string | undefined> {
  const ask = options.prompter;
  if (options.cluster) {
    const namespaces = await options.cluster.namespaces();
    const picked = await ask.select("Namespace:", [
      { name: "(the context's default)", value: "" },
      ...namespaces.map((n) => ({ name: n, value: n })),
    ]);
    return picked || undefined;
  }
  return (await ask.input("Namespace (blank for the cluster default):")).trim() || undefined;
}

async function askTargetPath(options: InitOptions, namespace: string | undefined): Promise<string> {
  const ask = options.prompter;
  if (options.cluster) {
    const workloads = await options.cluster.workloads(namespace ?? "default");
    if (workloads.length > 0) {
      const picked = await ask.select("Target:", [
        ...workloads.map((w) => ({ name: w, value: w })),
        { name: "Type a path...", value: "" },
      ]);
      if (picked) return picked;
    } else {
      options.say(`No workloads found in namespace "${namespace ?? "default"}"; type the path.`);
    }
  }
  const path = await ask.input("Target (e.g. deployment/api, pod/p/container/c):", {
    validate: (v) => {
      const parsed = parseTargetPath(v.trim());
      return parsed.ok ? true : parsed.error;
    },
  });
  return path.trim();
}

async function askPorts(ask: Prompter): Promise<number[]> {
  const text = await ask.input("Ports (comma-separated):", {
    validate: (v) =>
      v
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean)
        .every((p) => /^\d+$/.test(p) && Number(p) <= 65535)
        ? true
        : "ports are whole numbers 0-65535, separated by commas",
  });
  return [
    ...new Set(
      text
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean)
        .map(Number),
    ),
  ].sort((a, b) => a - b);
}

/** The file: schema comment, then YAML with lists and small mappings inline. */
export function renderInitYaml(config: InitConfig, schemaPath: string): string {
  const doc = new Document(config);
  visit(doc, {
    Seq(_, node) {
      node.flow = true;
    },
    Pair(_, pair) {
      const key = String((pair.key as { value?: unknown })?.value ?? "");
      if ((key === "target" || key === "http_filter" || key === "ready_when") && isMap(pair.value))
        pair.value.flow = true;
      if (key === "command" && isSeq(pair.value)) pair.value.flow = true;
      // `db: {condition: service_ready}`, one dependency a line.
      if (key === "depends_on" && isMap(pair.value)) {
        for (const item of pair.value.items) if (isMap(item.value)) item.value.flow = true;
      }
    },
  });
  return `# yaml-language-server: $schema=${schemaPath}\n${doc.toString({ lineWidth: 0 })}`;
}
