/**
 * `doctor`'s cluster checks, per kube context: the context exists, the API server answers, the
 * credentials work, the user may do what mirrord does in each target namespace, the namespace
 * and each target exist with a ready pod and the named container, Pod Security would admit the
 * agent, and the operator's API is there where a service needs it.
 *
 * Only GET requests and access reviews (SelfSubjectAccessReview) are sent: nothing is created,
 * not even as a dry run.
 */
import type { V1Pod } from "@kubernetes/client-node";
import { parseTargetPath } from "../config/target-path.js";
import { suggest } from "../core/suggest.js";
import { isTargetablePod, SKIPPED_CONTAINERS } from "./cluster.js";
import { KubeError } from "./errors.js";
import { type ContextSource, loadKubeconfig, type ResolvedContext, resolveContext } from "./kubeconfig.js";
import { describePermission, type Permission, ProbeApi, statusOf } from "./probe.js";

type CheckStatus = "ok" | "warning" | "problem";

/** One line of `doctor`'s report. */
export interface CheckLine {
  /** Which check: `context`, `api-server`, `credentials`, `namespace`, `permissions`, ... */
  check: string;
  status: CheckStatus;
  message: string;
  hint?: string;
  services?: string[];
}

/** What one service needs of its cluster. */
export interface ClusterNeed {
  service: string;
  /** By precedence; undefined = the kubeconfig's current context. */
  context?: string;
  contextSource: ContextSource;
  /** The configured namespace; undefined = the context's default. */
  namespace?: string;
  /** `target.path`; undefined with `infer` = look the service name up; both undefined = targetless. */
  targetPath?: string;
  infer?: boolean;
  /** Why it needs the operator (`replace mode`, `queue splitting`, `operator: true`), if it does. */
  operator?: string;
}

export interface ClusterGroup {
  /** The context's name as resolved (or as requested, when it does not exist). */
  context: string;
  /** The context as the services name it ("" = the current context). */
  requested: string;
  server?: string;
  checks: CheckLine[];
  /** Whether `operator.metalbear.co` was discovered; undefined when the cluster was not asked. */
  operator?: boolean;
  /** The context's default namespace (kubeconfig), when it resolved. */
  namespace?: string;
  /** The targets inferred for services without `target.path`: service -> `kind/name`. */
  inferred: Map<string, string>;
}

export interface ClusterCheckOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  acceptInvalidCertificates: boolean;
}

const OPERATOR_GROUP = "operator.metalbear.co";

/**
 * What mirrord does in a target's namespace (mirrord 3.250.0, `mirrord/kube/src/api/`), as access
 * reviews: the agent's job, watching for its pod and reading its log, port-forwarding to it, and
 * reading the target and its pods. docs/doctor.md lists the source line of each.
 */
const AGENT_PERMISSIONS: readonly Permission[] = [
  { verb: "create", group: "batch", resource: "jobs" },
  { verb: "get", group: "", resource: "pods" },
  { verb: "list", group: "", resource: "pods" },
  { verb: "watch", group: "", resource: "pods" },
  { verb: "get", group: "", resource: "pods", subresource: "log" },
  { verb: "create", group: "", resource: "pods", subresource: "portforward" },
];

/** The API group and plural of each target kind, for its `get`. */
const KIND_RESOURCES: Record<string, { group: string; resource: string }> = {
  deployment: { group: "apps", resource: "deployments" },
  statefulset: { group: "apps", resource: "statefulsets" },
  replicaset: { group: "apps", resource: "replicasets" },
  rollout: { group: "argoproj.io", resource: "rollouts" },
  job: { group: "batch", resource: "jobs" },
  cronjob: { group: "batch", resource: "cronjobs" },
  service: { group: "", resource: "services" },
  pod: { group: "", resource: "pods" },
};

export async function checkClusters(
  needs: readonly ClusterNeed[],
  options: ClusterCheckOptions,
): Promise<ClusterGroup[]> {
  if (needs.length === 0) return [];
  let merged: Awaited<ReturnType<typeof loadKubeconfig>>;
  try {
    merged = await loadKubeconfig(
      options.env,
      "doctor reads the cluster to check each target: set up kubectl access (KUBECONFIG, else ~/.kube/config); `kubectl config get-contexts` shows what it finds",
    );
  } catch (error) {
    return [
      {
        context: "(kubeconfig)",
        requested: "",
        checks: [failed("kubeconfig", error, servicesOf(needs))],
        inferred: new Map(),
      },
    ];
  }
  const byContext = new Map<string, ClusterNeed[]>();
  for (const need of needs) {
    const key = need.context ?? "";
    byContext.set(key, [...(byContext.get(key) ?? []), need]);
  }
  return Promise.all(
    [...byContext.values()].map(async (group) => {
      const first = group[0] as ClusterNeed;
      let context: ResolvedContext;
      try {
        context = await resolveContext(
          merged,
          { name: first.context, source: first.contextSource },
          options.acceptInvalidCertificates,
        );
      } catch (error) {
        return {
          context: first.context ?? "(current-context)",
          inferred: new Map(),
          requested: first.context ?? "",
          checks: [failed("context", error, servicesOf(group))],
        };
      }
      return { ...(await checkContext(context, group, options)), requested: first.context ?? "" };
    }),
  );
}

async function checkContext(
  context: ResolvedContext,
  needs: ClusterNeed[],
  options: ClusterCheckOptions,
): Promise<Omit<ClusterGroup, "requested">> {
  const checks: CheckLine[] = [
    { check: "context", status: "ok", message: `context "${context.name}" found (${context.source})` },
  ];
  const result: Omit<ClusterGroup, "requested"> = {
    context: context.name,
    server: context.server,
    namespace: context.namespace,
    checks,
    inferred: new Map(),
  };
  const api = await ProbeApi.create(context, options.timeoutMs);
  try {
    const version = await api.version();
    checks.push({
      check: "api-server",
      status: "ok",
      message: `the API server answers (Kubernetes ${version})`,
    });
  } catch (error) {
    if (isUnauthorized(error)) checks.push(credentialsProblem(context));
    else checks.push(failed("api-server", error, undefined, context.name));
    return result;
  }
  let groups: string[];
  try {
    groups = await api.apiGroups();
    checks.push({ check: "credentials", status: "ok", message: "the credentials are accepted" });
  } catch (error) {
    checks.push(
      isUnauthorized(error)
        ? credentialsProblem(context)
        : failed("credentials", error, undefined, context.name),
    );
    return result;
  }
  result.operator = groups.includes(OPERATOR_GROUP);

  const namespaceOf = (need: ClusterNeed) => need.namespace ?? context.namespace;
  // A targetless session's agent runs in the context's namespace: its permissions are checked there.
  const namespaces = [...new Set(needs.map(namespaceOf))].sort();
  const perNamespace = await Promise.all(
    namespaces.map(async (ns) => {
      const here = needs.filter((n) => namespaceOf(n) === ns);
      const lines = await checkNamespace(api, context, ns, here, result.inferred);
      return lines;
    }),
  );
  checks.push(...perNamespace.flat());
  checks.push(...operatorLines(needs, result.operator));
  return result;
}

async function checkNamespace(
  api: ProbeApi,
  context: ResolvedContext,
  ns: string,
  needs: ClusterNeed[],
  inferred: Map<string, string>,
): Promise<CheckLine[]> {
  const services = servicesOf(needs);
  const lines: CheckLine[] = [];
  let labels: Record<string, string>;
  try {
    labels = await api.namespaceLabels(ns);
    lines.push({ check: "namespace", status: "ok", message: `namespace "${ns}" exists`, services });
  } catch (error) {
    if (statusOf(error) === 404) {
      const known = await api.namespaces().catch(() => [] as string[]);
      const close = suggest(ns, known);
      lines.push({
        check: "namespace",
        status: "problem",
        message: `namespace "${ns}" does not exist (context "${context.name}")`,
        hint: close
          ? `did you mean "${close}"? set target.namespace`
          : "check target.namespace, or the context's default namespace",
        services,
      });
      return lines;
    }
    lines.push(failed("namespace", error, services, context.name));
    return lines;
  }
  const enforced = labels["pod-security.kubernetes.io/enforce"];
  if (enforced === "baseline" || enforced === "restricted") {
    lines.push({
      check: "pod-security",
      status: "warning",
      message: `namespace "${ns}" enforces Pod Security "${enforced}", which rejects mirrord's agent (it runs with the host's PID namespace and adds NET_ADMIN, SYS_PTRACE, SYS_ADMIN)`,
      hint: "ask for the `privileged` level on this namespace, or run the agent in another namespace with `agent.namespace`",
      services,
    });
  } else {
    lines.push({
      check: "pod-security",
      status: "ok",
      message: `namespace "${ns}" enforces ${enforced ? `Pod Security "${enforced}"` : "no Pod Security level"} that would reject the agent`,
      services,
    });
  }
  const [permissions, targets] = await Promise.all([
    checkPermissions(api, ns, needs),
    Promise.all(needs.map((need) => checkTarget(api, ns, need, inferred))),
  ]);
  return [...lines, ...permissions, ...targets.flat()];
}

async function checkPermissions(api: ProbeApi, ns: string, needs: ClusterNeed[]): Promise<CheckLine[]> {
  const kinds = new Set(
    needs.flatMap((n) => {
      const parsed = n.targetPath ? parseTargetPath(n.targetPath) : undefined;
      return parsed?.ok && parsed.target.kind !== "label" ? [parsed.target.kind] : [];
    }),
  );
  const wanted: Permission[] = [
    ...AGENT_PERMISSIONS,
    ...[...kinds]
      .filter((kind) => kind !== "pod")
      .map((kind) => ({ verb: "get", ...(KIND_RESOURCES[kind] as { group: string; resource: string }) })),
  ];
  const services = servicesOf(needs);
  let answers: boolean[];
  try {
    answers = await Promise.all(wanted.map((p) => api.mayI(ns, p)));
  } catch (error) {
    return [
      {
        ...failed("permissions", error, services, api.context.name),
        ...(statusOf(error) === 403 && {
          message: `not allowed to ask what you may do in namespace "${ns}" (a SelfSubjectAccessReview was refused: 403)`,
          hint: "ask your cluster admin for the permissions in docs/doctor.md; `kubectl auth can-i --list -n NAMESPACE` shows yours",
        }),
      },
    ];
  }
  const denied = wanted.filter((_, i) => !answers[i]);
  if (denied.length === 0) {
    return [
      {
        check: "permissions",
        status: "ok",
        message: `you may do what mirrord does in namespace "${ns}" (${wanted.length} access reviews)`,
        services,
      },
    ];
  }
  const first = denied[0] as Permission;
  return [
    {
      check: "permissions",
      status: "problem",
      message: `in namespace "${ns}" you may not: ${denied.map(describePermission).join(", ")}`,
      hint: `mirrord needs these to start its agent and reach it; ask your cluster admin for them (\`kubectl auth can-i ${first.verb} ${first.resource}${first.subresource ? `/${first.subresource}` : ""} -n ${ns}\` checks one)`,
      services,
    },
  ];
}

async function checkTarget(
  api: ProbeApi,
  ns: string,
  need: ClusterNeed,
  inferred: Map<string, string>,
): Promise<CheckLine[]> {
  const services = [need.service];
  let path = need.targetPath;
  const lines: CheckLine[] = [];
  if (!path && !need.infer) return [];
  if (!path) {
    let workloads: string[];
    try {
      workloads = await api.workloads(ns);
    } catch (error) {
      return [failed("target", error, services, api.context.name)];
    }
    const matches = workloads.filter((w) => w.split("/")[1] === need.service);
    if (matches.length === 0) {
      const close = suggest(
        need.service,
        workloads.map((w) => w.split("/")[1] as string),
      );
      return [
        {
          check: "target",
          status: "problem",
          message: `no deployment, statefulset, rollout or pod named "${need.service}" in namespace "${ns}" to infer the target from`,
          hint: `${close ? `did you mean "${close}"? ` : ""}set target.path`,
          services,
        },
      ];
    }
    path = matches[0] as string;
    inferred.set(need.service, path);
    if (matches.length > 1) {
      lines.push({
        check: "target",
        status: "warning",
        message: `"${need.service}" names ${matches.length} workloads in namespace "${ns}" (${matches.join(", ")}); up takes ${path}`,
        hint: `set target.path to the one you mean`,
        services,
      });
    } else {
      lines.push({ check: "target", status: "ok", message: `the target is inferred as ${path}`, services });
    }
  }
  const parsed = parseTargetPath(path);
  if (!parsed.ok) return lines;
  const { kind, name, container, labels } = parsed.target;
  let pods: V1Pod[];
  try {
    const found = await api.targetPods(ns, kind, name, labels);
    if (found === "missing") {
      const siblings = kind === "label" ? [] : await api.namesOf(ns, kind).catch(() => [] as string[]);
      const close = suggest(name, siblings);
      return [
        ...lines,
        {
          check: "target",
          status: "problem",
          message: `${kind} "${name}" does not exist in namespace "${ns}"`,
          hint: close
            ? `did you mean ${kind}/${close}?`
            : siblings.length
              ? `${kind}s there: ${siblings.slice(0, 12).join(", ")}`
              : `there is no ${kind} in namespace "${ns}"`,
          services,
        },
      ];
    }
    pods = found;
  } catch (error) {
    return [...lines, failed("target", error, services, api.context.name)];
  }
  if (kind === "cronjob") {
    lines.push({
      check: "target",
      status: "ok",
      message: `${path} exists (a cronjob has no pod until it runs)`,
      services,
    });
    return lines;
  }
  const ready = pods.filter(isTargetablePod);
  if (ready.length === 0) {
    lines.push({
      check: "ready-pod",
      status: "problem",
      message: `${path} in namespace "${ns}" has no ready pod (${pods.length} pod${pods.length === 1 ? "" : "s"}, none Running and Ready)`,
      hint: `\`kubectl get pods -n ${ns}\` shows why; mirrord needs a running pod to attach its agent to`,
      services,
    });
    return lines;
  }
  if (!need.targetPath || container === undefined) {
    if (need.targetPath) lines.push({ check: "target", status: "ok", message: `${path} exists`, services });
    lines.push({
      check: "ready-pod",
      status: "ok",
      message: `${path} has ${ready.length} ready pod${ready.length === 1 ? "" : "s"}`,
      services,
    });
    return lines;
  }
  const present = [
    ...new Set(
      ready
        .flatMap((p) => (p.spec?.containers ?? []).map((c) => c.name))
        .filter((c) => !SKIPPED_CONTAINERS.has(c)),
    ),
  ];
  lines.push({
    check: "target",
    status: "ok",
    message: `${path.replace(/\/container\/.*$/, "")} exists`,
    services,
  });
  lines.push({
    check: "ready-pod",
    status: "ok",
    message: `it has ${ready.length} ready pod${ready.length === 1 ? "" : "s"}`,
    services,
  });
  if (present.includes(container)) {
    lines.push({
      check: "container",
      status: "ok",
      message: `container "${container}" is in its pods`,
      services,
    });
  } else {
    const close = suggest(container, present);
    lines.push({
      check: "container",
      status: "problem",
      message: `container "${container}" is not in the pods of ${kind}/${name}`,
      hint: `${close ? `did you mean "${close}"? ` : ""}containers there: ${present.join(", ") || "none"}`,
      services,
    });
  }
  return lines;
}

function operatorLines(needs: ClusterNeed[], present: boolean): CheckLine[] {
  const needing = needs.filter((n) => n.operator);
  const caveat = "its licence and health are not checked";
  if (needing.length === 0) {
    return present
      ? [
          {
            check: "operator",
            status: "ok",
            message: `the mirrord operator's API is present, not needed by these services (${caveat})`,
          },
        ]
      : [];
  }
  const services = servicesOf(needing);
  const why = [...new Set(needing.map((n) => `${n.service}: ${n.operator}`))].join("; ");
  if (present) {
    return [
      {
        check: "operator",
        status: "ok",
        message: `the mirrord operator's API (${OPERATOR_GROUP}) is present; ${caveat}`,
        services,
      },
    ];
  }
  return [
    {
      check: "operator",
      status: "problem",
      message: `these services need the mirrord operator, whose API (${OPERATOR_GROUP}) this cluster does not serve (${why})`,
      hint: "install the operator (https://metalbear.com/mirrord/docs/overview/teams/), or use split mode without `messages` for these services",
      services,
    },
  ];
}

function servicesOf(needs: readonly ClusterNeed[]): string[] {
  return [...new Set(needs.map((n) => n.service))].sort();
}

function credentialsProblem(context: ResolvedContext): CheckLine {
  return {
    check: "credentials",
    status: "problem",
    message: `the API server rejected the credentials of context "${context.name}" (401 Unauthorized)`,
    hint: `log in to the cluster again (the token or certificate may have expired); \`kubectl --context ${context.name} get namespaces\` checks it`,
  };
}

/** A cluster error as a problem line; where it brings no hint, what shows the cause. */
function failed(check: string, error: unknown, services?: string[], context?: string): CheckLine {
  if (!(error instanceof KubeError)) throw error;
  const fallback = context
    ? `\`kubectl --context ${context} get namespaces\` may show the cause`
    : "check your kubeconfig (KUBECONFIG, else ~/.kube/config) with `kubectl config view`";
  return {
    check,
    status: "problem",
    message: error.message,
    hint: error.hint ?? fallback,
    ...(services && { services }),
  };
}

function isUnauthorized(error: unknown): boolean {
  return statusOf(error) === 401;
}
