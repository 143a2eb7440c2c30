/**
 * Target inference (upstream `up/lib.rs`): a service without `target.path` is looked up in its
 * namespace by name. One client per context; every (context, namespace) pair is listed once, all
 * pairs concurrently. Not found: on a terminal, the user picks one (and may save it back into the
 * file); otherwise it is an error naming what was searched, what is there, and the closest name.
 */

import type { ConfigPath } from "../config/load.js";
import { UserError } from "../core/errors.js";
import type { Choice, Prompter } from "../core/prompter.js";
import { suggest } from "../core/suggest.js";
import { PlanError, type PlanProblem } from "../plan/problems.js";
import { byCodeUnit } from "../text/compare.js";
import { ClusterClient, kubeTimeoutMs } from "./cluster.js";
import { KubeError } from "./errors.js";
import { type ContextSource, loadKubeconfig, type ResolvedContext, resolveContext } from "./kubeconfig.js";

export interface InferenceRequest {
  service: string;
  /** The configured namespace; else the context's default. */
  namespace?: string;
  /** The context by precedence (--context > service > common); undefined = current-context. */
  context?: string;
  contextSource: ContextSource;
  /** Where the context came from in the file, for error locations. */
  contextPath?: ConfigPath;
}

export interface InferredTarget {
  path: string;
  /** Set when the user picked a workload in another namespace. */
  namespace?: string;
}

export interface InferenceOptions {
  env: NodeJS.ProcessEnv;
  acceptInvalidCertificates: boolean;
  /** Present when the user can be asked (a terminal, and no --no-interactive). */
  prompter?: Prompter;
  /** The config file, named in the save question. */
  file: string;
  /** Saves a picked target back into the file; returns an error message when it cannot. */
  save(service: string, target: { path: string; namespace: string }): string | undefined;
  /** Progress lines ("api: using deployment/api"), on stderr. */
  report(line: string): void;
}

/** Thrown when the user chose "Exit" in the fallback. */
export class InferenceAbandoned extends UserError {
  constructor(message: string) {
    super({ message });
    this.name = "InferenceAbandoned";
  }
}

export async function inferTargets(
  requests: InferenceRequest[],
  options: InferenceOptions,
): Promise<Map<string, InferredTarget>> {
  try {
    return await inferAll(requests, options);
  } catch (error) {
    // A cluster problem not tied to one service (no kubeconfig, a failed namespace listing).
    if (error instanceof KubeError) throw new PlanError([kubeProblem(error)]);
    throw error;
  }
}

async function inferAll(
  requests: InferenceRequest[],
  options: InferenceOptions,
): Promise<Map<string, InferredTarget>> {
  const merged = await loadKubeconfig(
    options.env,
    "a cluster is needed to look up targets; give each service a target.path, or set up kubectl access",
  );
  const timeoutMs = kubeTimeoutMs(options.env);
  const problems: PlanProblem[] = [];

  // One client per context.
  const clients = new Map<string, ClusterClient>();
  const clientFor = new Map<InferenceRequest, ClusterClient>();
  for (const request of requests) {
    const key = request.context ?? "";
    let client = clients.get(key);
    if (!client) {
      let context: ResolvedContext;
      try {
        context = await resolveContext(
          merged,
          { name: request.context, source: request.contextSource },
          options.acceptInvalidCertificates,
        );
      } catch (error) {
        problems.push(kubeProblem(error, request.contextPath));
        continue;
      }
      client = await ClusterClient.create(context, timeoutMs);
      clients.set(key, client);
    }
    clientFor.set(request, client);
  }
  if (problems.length > 0) throw new PlanError(dedupe(problems));

  // Every (context, namespace) once, all at the same time.
  const listings = new Map<string, Promise<string[]>>();
  const listingKey = (client: ClusterClient, ns: string) => `${client.context.name}\0${ns}`;
  const namespaceOf = (request: InferenceRequest) =>
    request.namespace ?? (clientFor.get(request) as ClusterClient).context.namespace;
  for (const request of requests) {
    const client = clientFor.get(request) as ClusterClient;
    const key = listingKey(client, namespaceOf(request));
    if (!listings.has(key)) listings.set(key, client.listWorkloads(namespaceOf(request)));
  }
  const settled = new Map<string, string[] | KubeError>();
  await Promise.all(
    [...listings].map(async ([key, listing]) => {
      try {
        settled.set(key, await listing);
      } catch (error) {
        settled.set(key, error instanceof KubeError ? error : new KubeError(String(error)));
      }
    }),
  );

  const found = new Map<string, InferredTarget>();
  const missing: InferenceRequest[] = [];
  for (const request of [...requests].sort((a, b) => byCodeUnit(a.service, b.service))) {
    const client = clientFor.get(request) as ClusterClient;
    const listing = settled.get(listingKey(client, namespaceOf(request)));
    if (listing instanceof KubeError) {
      problems.push(kubeProblem(listing, ["services", request.service]));
      continue;
    }
    const path = (listing ?? []).find((p) => p.split("/")[1] === request.service);
    if (path) {
      options.report(`${request.service}: using ${path}`);
      found.set(request.service, { path });
    } else missing.push(request);
  }
  if (problems.length > 0) throw new PlanError(dedupe(problems));

  for (const request of missing) {
    const client = clientFor.get(request) as ClusterClient;
    const namespace = namespaceOf(request);
    const workloads = settled.get(listingKey(client, namespace)) as string[];
    if (options.prompter) {
      found.set(
        request.service,
        await pickInteractively(request, client, namespace, options.prompter, options),
      );
    } else {
      problems.push(await notFoundProblem(request, client, namespace, workloads));
    }
  }
  if (problems.length > 0) throw new PlanError(problems);
  return found;
}

function kubeProblem(error: unknown, path?: ConfigPath): PlanProblem {
  if (error instanceof KubeError) return { path, message: error.message, hint: error.hint };
  throw error;
}

function dedupe(problems: PlanProblem[]): PlanProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.message) && seen.add(p.message));
}

async function notFoundProblem(
  request: InferenceRequest,
  client: ClusterClient,
  namespace: string,
  workloads: string[],
): Promise<PlanProblem> {
  const where = `in namespace "${namespace}" (context "${client.context.name}")`;
  const path = ["services", request.service];
  if (workloads.length === 0 && !(await client.namespaceExists(namespace).catch(() => true))) {
    const namespaces = await client.listNamespaces().catch(() => [] as string[]);
    const close = suggest(namespace, namespaces);
    return {
      path,
      message: `services.${request.service}: namespace "${namespace}" does not exist (context "${client.context.name}")`,
      hint: close
        ? `did you mean "${close}"?`
        : namespaces.length
          ? `namespaces: ${namespaces.join(", ")}`
          : undefined,
    };
  }
  const names = workloads.map((w) => w.split("/")[1] as string);
  const close = suggest(request.service, names);
  const closePath = close ? workloads.find((w) => w.split("/")[1] === close) : undefined;
  const shown =
    workloads.slice(0, 12).join(", ") + (workloads.length > 12 ? `, … (${workloads.length - 12} more)` : "");
  return {
    path,
    message: `services.${request.service}: no deployment, statefulset, rollout or pod named "${request.service}" ${where}`,
    hint:
      (closePath ? `did you mean target: {path: ${closePath}}? ` : "") +
      (workloads.length ? `there: ${shown}` : "the namespace has no workloads") +
      "; set target.path, or run on a terminal to pick one",
  };
}

async function pickInteractively(
  request: InferenceRequest,
  client: ClusterClient,
  namespace: string,
  prompter: Prompter,
  options: InferenceOptions,
): Promise<InferredTarget> {
  options.report(
    `${request.service}: no workload named "${request.service}" found in namespace "${namespace}" (context "${client.context.name}").`,
  );
  for (;;) {
    const action = await prompter.select(`${request.service}: what now?`, [
      { name: "Search in a different namespace", value: "search" },
      { name: "Exit", value: "exit" },
    ]);
    if (action === "exit") throw new InferenceAbandoned(`no target chosen for ${request.service}`);
    const namespaces = await client.listNamespaces();
    const chosenNamespace = await prompter.select(
      "Namespace:",
      namespaces.map((n) => ({ name: n, value: n })),
    );
    const workloads = await client.listWorkloads(chosenNamespace);
    if (workloads.length === 0) {
      options.report(`No workloads found in namespace "${chosenNamespace}".`);
      continue;
    }
    const choices: Choice<string>[] = workloads.map((w) => ({ name: w, value: w }));
    const path = await prompter.select(`${request.service}: target:`, choices);
    const save = await prompter.confirm(
      `Save target "${path}" in namespace "${chosenNamespace}" to ${options.file} for next time?`,
      true,
    );
    if (save) {
      const failure = options.save(request.service, { path, namespace: chosenNamespace });
      options.report(
        failure
          ? `Failed to save target to config: ${failure}`
          : `${request.service}: saved to ${options.file}`,
      );
    }
    return { path, namespace: chosenNamespace };
  }
}
