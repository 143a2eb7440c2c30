/**
 * kubeconfig as kubectl reads it: `KUBECONFIG` may list several files; for each name (cluster,
 * user, context) the first file that defines it wins, and so does the first non-empty
 * current-context. (client-node's own merge throws on duplicates and lets the last file's
 * current-context win, so the files are merged here.)
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import type { Cluster, Context, KubeConfig, User } from "@kubernetes/client-node";
import { suggest } from "../config/suggest.js";
import { KubeError } from "./errors.js";

type ClientNode = typeof import("@kubernetes/client-node");

/** The client is ~450 ms to import: only commands that talk to a cluster load it. */
export async function loadClientNode(): Promise<ClientNode> {
  return import("@kubernetes/client-node");
}

export interface MergedKubeconfig {
  files: string[];
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext?: string;
}

/** The kubeconfig files kubectl would read, in order. */
export function kubeconfigFiles(env: NodeJS.ProcessEnv): string[] {
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter((f) => f && existsSync(f));
  const home = env.HOME ?? homedir();
  const file = join(home, ".kube", "config");
  return existsSync(file) ? [file] : [];
}

export async function loadKubeconfig(env: NodeJS.ProcessEnv): Promise<MergedKubeconfig> {
  const k8s = await loadClientNode();
  const files = kubeconfigFiles(env);
  if (files.length === 0) {
    throw new KubeError(
      `no kubeconfig found (${env.KUBECONFIG ? `KUBECONFIG=${env.KUBECONFIG} names no existing file` : "no ~/.kube/config"})`,
      "a cluster is needed to look up targets; give each service a target.path, or set up kubectl access",
    );
  }
  const merged: MergedKubeconfig = { files, clusters: [], users: [], contexts: [] };
  for (const file of files) {
    const kc = new k8s.KubeConfig();
    try {
      kc.loadFromFile(file);
    } catch (error) {
      throw new KubeError(`cannot read kubeconfig ${file}: ${(error as Error).message}`);
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
    kubeConfig,
  };
}

/** `https://user:pass@host/` -> `https://host/`: credentials never reach a message. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//");
  }
}
