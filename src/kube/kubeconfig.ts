/**
 * kubeconfig as kubectl reads it: `KUBECONFIG` may list several files; for each name (cluster,
 * user, context) the first file that defines it wins, and so does the first non-empty
 * current-context. (client-node's own merge throws on duplicates and lets the last file's
 * current-context win, so the files are merged here.)
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { basename, delimiter, dirname, join } from "node:path";
import type { Cluster, Context, KubeConfig, User } from "@kubernetes/client-node";
import { FileReadError, readRegularFile } from "../core/files.js";
import { importModule } from "../core/import-module.js";
import { suggest } from "../core/suggest.js";
import { KubeError, redactUrl } from "./errors.js";

/** Kubeconfigs with embedded certificates are tens of KiB; anything near this is not one. */
const MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024;

type ClientNode = typeof import("@kubernetes/client-node");

/** The client is ~450 ms to import: only commands that talk to a cluster load it. */
export async function loadClientNode(): Promise<ClientNode> {
  return importModule<ClientNode>("@kubernetes/client-node");
}

export interface MergedKubeconfig {
  files: string[];
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext?: string;
}

/** The kubeconfig files kubectl would read, in order. */
function kubeconfigFiles(env: NodeJS.ProcessEnv): string[] {
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter((f) => f && existsSync(f));
  const home = env.HOME ?? homedir();
  const file = join(home, ".kube", "config");
  return existsSync(file) ? [file] : [];
}

/**
 * The kubeconfig files kubectl would read, merged. `missingHint`: what the caller's user should do
 * when there is none at all (why a cluster is needed depends on the caller).
 */
export async function loadKubeconfig(
  env: NodeJS.ProcessEnv,
  missingHint?: string,
): Promise<MergedKubeconfig> {
  const k8s = await loadClientNode();
  const files = kubeconfigFiles(env);
  if (files.length === 0) {
    throw new KubeError(
      `no kubeconfig found (${env.KUBECONFIG ? `KUBECONFIG=${env.KUBECONFIG} names no existing file` : "no ~/.kube/config"})`,
      missingHint,
    );
  }
  const merged: MergedKubeconfig = { files, clusters: [], users: [], contexts: [] };
  for (const file of files) {
    const kc = new k8s.KubeConfig();
    const text = readKubeconfigText(file);
    try {
      kc.loadFromString(text);
      // As loadFromFile does: certificate and token files are relative to the kubeconfig. A
      // wrong shape fails here too (`certificate-authority: 123`: a TypeError quoting the value).
      kc.makePathsAbsolute(dirname(file));
    } catch (error) {
      throw new KubeError(`cannot read kubeconfig ${describeKubeconfigProblem(file, error)}`);
    }
    addFirstWins(merged.clusters, kc.clusters);
    addFirstWins(merged.users, kc.users);
    addFirstWins(merged.contexts, kc.contexts);
    merged.currentContext ||= kc.currentContext || undefined;
  }
  return merged;
}

function addFirstWins<T extends { name: string }>(into: T[], from: readonly T[]): void {
  for (const item of from) if (!into.some((existing) => existing.name === item.name)) into.push(item);
}

/** Where a context name came from, for error messages. */
export type ContextSource = "--context" | "service context" | "common.context" | "current-context";

export interface ResolvedContext {
  name: string;
  source: ContextSource;
  /** The context's default namespace (kubeconfig), else "default". */
  namespace: string;
  /** The API server URL, without any credentials in it. */
  server: string;
  /** The credential plugin of the context's user (its program's name), if it has one. */
  credentialPlugin?: string;
  kubeConfig: KubeConfig;
}

/** A client configuration for one context; unknown names are an error listing the known ones. */
export async function resolveContext(
  merged: MergedKubeconfig,
  requested: { name?: string; source: ContextSource },
  acceptInvalidCertificates: boolean,
): Promise<ResolvedContext> {
  const k8s = await loadClientNode();
  const name = requested.name ?? merged.currentContext;
  const available = merged.contexts.map((c) => c.name).sort();
  if (!name) {
    throw new KubeError(
      `kubeconfig (${merged.files.join(", ")}) has no current-context`,
      `choose one with --context (available: ${available.join(", ") || "none"})`,
    );
  }
  const context = merged.contexts.find((c) => c.name === name);
  if (!context) {
    const close = suggest(name, available);
    throw new KubeError(
      `unknown kube context "${name}" (from ${requested.source})`,
      `${close ? `did you mean "${close}"? ` : ""}available contexts: ${available.join(", ") || "none"}`,
    );
  }
  const cluster = merged.clusters.find((c) => c.name === context.cluster);
  if (!cluster)
    throw new KubeError(
      `kube context "${name}" names cluster "${context.cluster}", which no kubeconfig defines`,
    );
  const user = merged.users.find((u) => u.name === context.user);
  const kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ ...cluster, skipTLSVerify: cluster.skipTLSVerify || acceptInvalidCertificates }],
    users: user ? [user] : [{ name: context.user }],
    contexts: [context],
    currentContext: context.name,
  });
  return {
    name,
    source: requested.name ? requested.source : "current-context",
    namespace: context.namespace || "default",
    server: redactUrl(cluster.server),
    credentialPlugin: credentialPluginOf(user),
    kubeConfig,
  };
}

/** The kubeconfig's bytes, bounded, as text (client-node would read a FIFO or /dev/zero forever). */
function readKubeconfigText(file: string): string {
  try {
    return readRegularFile(file, MAX_KUBECONFIG_BYTES).toString("utf8");
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    const why = error.reason === "io" ? `cannot read it: ${error.message}` : error.message;
    throw new KubeError(`cannot read kubeconfig ${file}: ${why}`);
  }
}

/**
 * Where and what kind of problem, never the text: js-yaml's message quotes the lines around the
 * error, which in a kubeconfig are tokens and keys.
 */
function describeKubeconfigProblem(file: string, error: unknown): string {
  const e = error as { name?: string; reason?: unknown; mark?: { line?: unknown; column?: unknown } };
  if (e.name === "YAMLException") {
    const line = typeof e.mark?.line === "number" ? e.mark.line + 1 : undefined;
    const col = typeof e.mark?.column === "number" ? e.mark.column + 1 : undefined;
    const where = line !== undefined ? `${file}:${line}${col !== undefined ? `:${col}` : ""}` : file;
    // The reason alone ("bad indentation of a mapping entry"), unless it quotes the file.
    const reason = typeof e.reason === "string" && /^[a-z ,()-]+$/i.test(e.reason) ? ` (${e.reason})` : "";
    return `${where}: YAML syntax error${reason}`;
  }
  // client-node's own checks name the entry, not its content (`users[0].name is missing`).
  const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : "";
  if (/^[\w.[\]-]+ is missing$/.test(message)) return `${file}: ${message}`;
  return `${file}: it is not a valid kubeconfig`;
}

/** The program a user runs to get its credentials (`users[].user.exec`), for messages. */
function credentialPluginOf(user: User | undefined): string | undefined {
  const command = user?.exec?.command ?? user?.authProvider?.config?.exec?.command;
  return typeof command === "string" && command !== "" ? basename(command) : undefined;
}
