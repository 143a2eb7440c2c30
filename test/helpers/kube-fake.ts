/**
 * A small Kubernetes API server on 127.0.0.1 standing in for a cluster: namespaces (with labels),
 * deployments and statefulsets (selecting pods by `app: <name>`), Argo rollouts, pods with
 * readiness and containers, `/version`, API discovery (`/apis`, with the mirrord operator's group
 * when asked), SelfSubjectAccessReviews, `Status` errors, bearer-token auth, and a request log.
 * Only what mirrord-up asks is served; anything else is a 404 Status, as a real server answers
 * for unknown resources.
 */
import { readFileSync, writeFileSync } from "node:fs";
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttps } from "node:https";
import { join } from "node:path";
import { after } from "node:test";
import { stringify } from "yaml";
import { REPO_ROOT } from "./paths.js";

export interface FakePod {
  name: string;
  containers?: string[];
  phase?: string;
  ready?: boolean;
  labels?: Record<string, string>;
}

export interface FakeNamespace {
  /** The namespace's labels (`pod-security.kubernetes.io/enforce`). */
  labels?: Record<string, string>;
  deployments?: string[];
  statefulsets?: string[];
  rollouts?: string[];
  pods?: FakePod[];
  /** Names here carry `app: mirrord` (mirrord's own agents): never targets. */
  mirrordOwned?: string[];
}

export interface FakeKubeOptions {
  namespaces: Record<string, FakeNamespace>;
  /** Required bearer token; a request without it gets 401. */
  token?: string;
  /** Whether the Argo rollouts CRD is installed (default true). */
  rolloutsCrd?: boolean;
  /** Namespaces whose listing answers 403. */
  forbidden?: string[];
  /** Accept connections but never answer. */
  hang?: boolean;
  /** Serve HTTPS with the committed self-signed certificate. */
  tls?: boolean;
  /** Serve the `operator.metalbear.co` API group. */
  operator?: boolean;
  /** Access reviews answered "not allowed": `verb resource[/subresource]` in a namespace (`create pods/portforward`). */
  denied?: string[];
  /** Access reviews themselves answer 403. */
  reviewsForbidden?: boolean;
  /** Close it when the test file ends (default); a benchmark, outside node:test, closes it itself. */
  closeAfterTests?: boolean;
}

export interface FakeKube {
  url: string;
  /** Every request: method, path, and whether it carried the right credentials. */
  requests: { method: string; path: string; authorized: boolean; body?: unknown }[];
  close(): Promise<void>;
}

const TLS_DIR = join(REPO_ROOT, "test", "fixtures", "tls");

export async function startFakeKube(options: FakeKubeOptions): Promise<FakeKube> {
  const requests: FakeKube["requests"] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const path = url.pathname;
    const authorized = !options.token || req.headers.authorization === `Bearer ${options.token}`;
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
    });
    req.on("end", () => {
      const body = text ? (JSON.parse(text) as unknown) : undefined;
      requests.push({ method: req.method ?? "GET", path, authorized, ...(body !== undefined && { body }) });
      if (options.hang) return;
      if (!authorized) return send(res, status(401, "Unauthorized", "Unauthorized"));
      send(res, req.method === "POST" ? review(path, body, options) : route(path, url.searchParams, options));
    });
  };
  const server: Server = options.tls
    ? createHttps(
        { key: readFileSync(join(TLS_DIR, "key.pem")), cert: readFileSync(join(TLS_DIR, "cert.pem")) },
        handler,
      )
    : createHttp(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  if (options.closeAfterTests !== false) after(close);
  return { url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`, requests, close };
}

interface Reply {
  code: number;
  body: unknown;
}

function route(path: string, query: URLSearchParams, options: FakeKubeOptions): Reply {
  const parts = path.split("/").filter(Boolean);
  if (path === "/version") {
    return {
      code: 200,
      body: {
        major: "1",
        minor: "30",
        gitVersion: "v1.30.0",
        gitCommit: "fake",
        gitTreeState: "clean",
        buildDate: "2026-01-01T00:00:00Z",
        goVersion: "go1.22",
        compiler: "gc",
        platform: "linux/amd64",
      },
    };
  }
  if (path === "/apis") return { code: 200, body: apiGroups(options) };
  // /api/v1/namespaces[/ns[/pods]]
  if (parts[0] === "api" && parts[1] === "v1" && parts[2] === "namespaces") {
    const ns = parts[3];
    if (!ns)
      return list(
        "NamespaceList",
        Object.keys(options.namespaces).map((name) => ({ metadata: { name } })),
      );
    const namespace = options.namespaces[ns];
    if (parts.length === 4) {
      if (!namespace) return status(404, "NotFound", `namespaces "${ns}" not found`);
      return {
        code: 200,
        body: { kind: "Namespace", apiVersion: "v1", metadata: { name: ns, labels: namespace.labels ?? {} } },
      };
    }
    if (parts[4] === "pods" && parts[5]) {
      const found = namespace?.pods?.find((p) => p.name === parts[5]);
      return found
        ? { code: 200, body: pod(found) }
        : status(404, "NotFound", `pods "${parts[5]}" not found`);
    }
    if (parts[4] === "pods") {
      const selected = (n: FakeNamespace) =>
        (n.pods ?? []).filter((p) => selects(query.get("labelSelector"), p));
      return namespaced(options, ns, "pods", (n) => selected(n).map(pod));
    }
  }
  // /apis/apps/v1/namespaces/ns/{deployments,statefulsets}
  if (parts[0] === "apis" && parts[1] === "apps" && parts[3] === "namespaces" && parts[4]) {
    const ns = parts[4];
    const kind = parts[5];
    if ((kind === "deployments" || kind === "statefulsets") && parts[6]) {
      const name = parts[6];
      const names = options.namespaces[ns]?.[kind] ?? [];
      if (!names.includes(name)) return status(404, "NotFound", `${kind}.apps "${name}" not found`);
      return { code: 200, body: { metadata: { name }, spec: { selector: { matchLabels: { app: name } } } } };
    }
    if (kind === "deployments")
      return namespaced(options, ns, "deployments", (n) => objects(n, n.deployments));
    if (kind === "statefulsets")
      return namespaced(options, ns, "statefulsets", (n) => objects(n, n.statefulsets));
  }
  if (parts[0] === "apis" && parts[1] === "argoproj.io" && parts[4] && parts[5] === "rollouts") {
    if (options.rolloutsCrd === false)
      return status(404, "NotFound", "the server could not find the requested resource");
    return namespaced(options, parts[4], "rollouts", (n) => objects(n, n.rollouts));
  }
  return status(404, "NotFound", "the server could not find the requested resource");
}

/** Equality selectors only (`app=api,tier=web`), as the workloads here select their pods. */
function selects(selector: string | null, p: FakePod): boolean {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const [key = "", value] = term.split("=");
    return p.labels?.[key] === value;
  });
}

function apiGroups(options: FakeKubeOptions): unknown {
  const groups = [
    ["apps", "v1"],
    ["batch", "v1"],
    ["authorization.k8s.io", "v1"],
    ...(options.rolloutsCrd === false ? [] : [["argoproj.io", "v1alpha1"]]),
    ...(options.operator ? [["operator.metalbear.co", "v1"]] : []),
  ].map(([name, version]) => {
    const v = { groupVersion: `${name}/${version}`, version };
    return { name, versions: [v], preferredVersion: v };
  });
  return { kind: "APIGroupList", apiVersion: "v1", groups };
}

/** A SelfSubjectAccessReview: allowed unless `denied` names it (or reviews are forbidden). */
function review(path: string, body: unknown, options: FakeKubeOptions): Reply {
  if (path !== "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") {
    return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  }
  if (options.reviewsForbidden) {
    return status(
      403,
      "Forbidden",
      'selfsubjectaccessreviews.authorization.k8s.io is forbidden: User "dev" cannot create resource "selfsubjectaccessreviews"',
    );
  }
  const attributes = ((body as { spec?: { resourceAttributes?: Record<string, string> } }).spec
    ?.resourceAttributes ?? {}) as Record<string, string>;
  const what = `${attributes.verb} ${attributes.resource}${attributes.subresource ? `/${attributes.subresource}` : ""}`;
  const allowed = !(options.denied ?? []).includes(what);
  return {
    code: 201,
    body: {
      kind: "SelfSubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: {},
      spec: { resourceAttributes: attributes },
      status: { allowed, ...(!allowed && { reason: "no RBAC rule allows it" }) },
    },
  };
}

function namespaced(
  options: FakeKubeOptions,
  ns: string,
  resource: string,
  items: (n: FakeNamespace) => unknown[],
): Reply {
  if (options.forbidden?.includes(ns)) {
    return status(
      403,
      "Forbidden",
      `${resource} is forbidden: User "dev" cannot list resource "${resource}" in namespace "${ns}"`,
    );
  }
  // Like a real API server, listing in a namespace that does not exist gives an empty list.
  const namespace = options.namespaces[ns];
  return list("List", namespace ? items(namespace) : []);
}

function objects(ns: FakeNamespace, names: string[] = []): unknown[] {
  return names.map((name) => ({
    metadata: { name, labels: ns.mirrordOwned?.includes(name) ? { app: "mirrord" } : {} },
  }));
}

function pod(p: FakePod): unknown {
  return {
    metadata: { name: p.name, labels: p.labels ?? {} },
    spec: { containers: (p.containers ?? ["main"]).map((name) => ({ name })) },
    status: {
      phase: p.phase ?? "Running",
      conditions: [{ type: "Ready", status: p.ready === false ? "False" : "True" }],
    },
  };
}

function list(kind: string, items: unknown[]): Reply {
  return { code: 200, body: { kind, apiVersion: "v1", metadata: { resourceVersion: "1" }, items } };
}

function status(code: number, reason: string, message: string): Reply {
  return {
    code,
    body: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code },
  };
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.code, { "content-type": "application/json" });
  res.end(JSON.stringify(reply.body));
}

export interface KubeconfigSpec {
  clusters: { name: string; server: string; insecure?: boolean }[];
  users?: { name: string; token?: string }[];
  contexts: { name: string; cluster: string; user?: string; namespace?: string }[];
  current?: string;
}

/** Writes a kubeconfig file as kubectl would. */
export function writeKubeconfig(file: string, spec: KubeconfigSpec): string {
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: spec.clusters.map((c) => ({
      name: c.name,
      cluster: { server: c.server, ...(c.insecure ? { "insecure-skip-tls-verify": true } : {}) },
    })),
    users: (spec.users ?? [{ name: "dev" }]).map((u) => ({
      name: u.name,
      user: u.token ? { token: u.token } : {},
    })),
    contexts: spec.contexts.map((c) => ({
      name: c.name,
      context: {
        cluster: c.cluster,
        user: c.user ?? "dev",
        ...(c.namespace ? { namespace: c.namespace } : {}),
      },
    })),
    ...(spec.current ? { "current-context": spec.current } : {}),
  };
  writeFileSync(file, stringify(doc));
  return file;
}
