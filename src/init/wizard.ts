/**
 * `mirrord-up init`: asks for the services (upstream `up/init.rs`, section 5 of the reference),
 * shows the YAML, and writes it only when asked to and never over a file without confirmation.
 * Differences from upstream: the command is split like a shell would split it, the run type is
 * asked first (so a `local` service is not asked about mirrord), and when a cluster is reachable
 * namespaces and targets are picked from it instead of typed.
 */
import { Document, isMap, isSeq, visit } from "yaml";
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
  /** `-o`: the file name offered by default. */
  defaultOutput: string;
  /** Where the editor schema lives (for the yaml-language-server comment). */
  schemaPath: string;
  cluster?: ClusterChoices;
  /** Text for the user (questions go through the prompter). */
  say(text: string): void;
  exists(path: string): boolean;
  write(path: string, text: string): void;
}

/** The file being built: only values that differ from the defaults. */
type Service = Record<string, unknown> & { run: { type?: string; command: string[] } };
interface InitConfig {
  common?: Record<string, boolean>;
  services: Record<string, Service>;
}

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
  if (!(await ask.confirm("Use the mirrord operator?", true))) common.operator = false;
  if (await ask.confirm("Accept invalid TLS certificates for the operator?", false))
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

  const yaml = renderInitYaml(config, options.schemaPath);
  say(`Step 3: preview\n\n${yaml}`);
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
    options.write(path, yaml);
    say(`Wrote ${path}.`);
    return path;
  }
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
  return { ...service, run: { ...(type !== "exec" && { type }), command } };
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
        .every((p) => /^\d+$/.test(p) && Number(p) >= 1 && Number(p) <= 65535)
        ? true
        : "ports are whole numbers 1-65535, separated by commas",
  });
  return [
    ...new Set(
      text
        .split(",")
        .map((p) => Number(p.trim()))
        .filter((p) => p > 0),
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
      if ((key === "target" || key === "http_filter") && isMap(pair.value)) pair.value.flow = true;
      if (key === "command" && isSeq(pair.value)) pair.value.flow = true;
    },
  });
  return `# yaml-language-server: $schema=${schemaPath}\n${doc.toString({ lineWidth: 0 })}`;
}
