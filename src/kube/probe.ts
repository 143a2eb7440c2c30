/**
 * The reads `doctor` makes of one cluster, each bounded by the request timeout: only GET requests
 * and SelfSubjectAccessReviews, never a create, a patch or a dry run of a real resource.
 */
import type { V1ObjectMeta, V1Pod } from "@kubernetes/client-node";
import { boundedCall, ClusterClient, names } from "./cluster.js";
import { KubeError } from "./errors.js";
import { loadClientNode, type ResolvedContext } from "./kubeconfig.js";

const TIMEOUT_HINT = "is the cluster up, and are you on its network (VPN)? --request-timeout sets the wait";

/** One thing the user may or may not do, as an access review asks it. */
export interface Permission {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
}

export function describePermission(p: Permission): string {
  return `${p.verb} ${p.resource}${p.subresource ? `/${p.subresource}` : ""}${p.group ? `.${p.group}` : ""}`;
}

/** The HTTP status a KubeError reports, in the words `describeKubeFailure` puts it. */
export function statusOf(error: unknown): number | undefined {
  if (!(error instanceof KubeError)) return undefined;
  const match = /\): HTTP (\d{3})\b|\((401) Unauthorized\)|\): (403) Forbidden\b/.exec(error.message);
  const code = match?.[1] ?? match?.[2] ?? match?.[3];
  return code === undefined ? undefined : Number(code);
}

type Apis = {
  core: import("@kubernetes/client-node").CoreV1Api;
  apps: import("@kubernetes/client-node").AppsV1Api;
  batch: import("@kubernetes/client-node").BatchV1Api;
  custom: import("@kubernetes/client-node").CustomObjectsApi;
  version: import("@kubernetes/client-node").VersionApi;
  apis: import("@kubernetes/client-node").ApisApi;
  authz: import("@kubernetes/client-node").AuthorizationV1Api;
};

/** The reads `doctor` makes, each bounded; only GETs and SelfSubjectAccessReviews. */
export class ProbeApi {
  private constructor(
    readonly context: ResolvedContext,
    private readonly timeoutMs: number,
    private readonly apis: Apis,
    private readonly cluster: ClusterClient,
  ) {}

  static async create(context: ResolvedContext, timeoutMs: number): Promise<ProbeApi> {
    const k8s = await loadClientNode();
    const kc = context.kubeConfig;
    return new ProbeApi(
      context,
      timeoutMs,
      {
        core: kc.makeApiClient(k8s.CoreV1Api),
        apps: kc.makeApiClient(k8s.AppsV1Api),
        batch: kc.makeApiClient(k8s.BatchV1Api),
        custom: kc.makeApiClient(k8s.CustomObjectsApi),
        version: kc.makeApiClient(k8s.VersionApi),
        apis: kc.makeApiClient(k8s.ApisApi),
        authz: kc.makeApiClient(k8s.AuthorizationV1Api),
      },
      await ClusterClient.create(context, timeoutMs),
    );
  }

  private call<T>(action: string, request: () => Promise<T>): Promise<T> {
    return boundedCall(this.context, this.timeoutMs, action, request, TIMEOUT_HINT);
  }

  async version(): Promise<string> {
    const info = await this.call("read the server version", () => this.apis.version.getCode());
    return info.gitVersion;
  }

  /** The API groups the server serves (GET /apis). */
  async apiGroups(): Promise<string[]> {
    const list = await this.call("list the API groups", () => this.apis.apis.getAPIVersions());
    return list.groups.map((g) => g.name);
  }

  async namespaceLabels(ns: string): Promise<Record<string, string>> {
    const namespace = await this.call(`read namespace "${ns}"`, () =>
      this.apis.core.readNamespace({ name: ns }),
    );
    return namespace.metadata?.labels ?? {};
  }

  namespaces(): Promise<string[]> {
    return this.cluster.listNamespaces();
  }

  workloads(ns: string): Promise<string[]> {
    return this.cluster.listWorkloads(ns);
  }

  /** Whether a SelfSubjectAccessReview allows `p` in `ns`. */
  async mayI(ns: string, p: Permission): Promise<boolean> {
    const review = await this.call(`ask whether you may ${describePermission(p)} in namespace "${ns}"`, () =>
      this.apis.authz.createSelfSubjectAccessReview({
        body: {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SelfSubjectAccessReview",
          spec: {
            resourceAttributes: {
              namespace: ns,
              verb: p.verb,
              group: p.group,
              resource: p.resource,
              ...(p.subresource && { subresource: p.subresource }),
            },
          },
        },
      }),
    );
    return review.status?.allowed === true;
  }

  /** The names of the `kind`s in `ns`, for did-you-mean. */
  async namesOf(ns: string, kind: string): Promise<string[]> {
    const namespace = ns;
    const list = async (): Promise<{
      items?: { metadata?: V1ObjectMeta }[];
    }> => {
      switch (kind) {
        case "deployment":
          return this.apis.apps.listNamespacedDeployment({ namespace });
        case "statefulset":
          return this.apis.apps.listNamespacedStatefulSet({ namespace });
        case "replicaset":
          return this.apis.apps.listNamespacedReplicaSet({ namespace });
        case "job":
          return this.apis.batch.listNamespacedJob({ namespace });
        case "cronjob":
          return this.apis.batch.listNamespacedCronJob({ namespace });
        case "service":
          return this.apis.core.listNamespacedService({ namespace });
        case "pod":
          return this.apis.core.listNamespacedPod({ namespace });
        default:
          return (await this.apis.custom.listNamespacedCustomObject({
            group: "argoproj.io",
            version: "v1alpha1",
            namespace,
            plural: "rollouts",
          })) as { items?: [] };
      }
    };
    return names((await this.call(`list ${kind}s in namespace "${ns}"`, list)).items ?? []).sort();
  }

  /**
   * The pods of a target (upstream `RuntimeDataFromLabels::get_pods`: the workload's selector,
   * then the pods it selects), or "missing" when the target does not exist.
   */
  async targetPods(
    ns: string,
    kind: string,
    name: string,
    labels?: Record<string, string>,
  ): Promise<V1Pod[] | "missing"> {
    const namespace = ns;
    if (kind === "pod") {
      try {
        return [
          await this.call(`read pod "${name}" in namespace "${ns}"`, () =>
            this.apis.core.readNamespacedPod({ name, namespace }),
          ),
        ];
      } catch (error) {
        if (statusOf(error) === 404) return "missing";
        throw error;
      }
    }
    let selector: Record<string, string> | undefined = labels;
    if (kind !== "label") {
      try {
        selector = await this.call(`read ${kind} "${name}" in namespace "${ns}"`, () =>
          this.selectorOf(kind, name, namespace),
        );
      } catch (error) {
        if (statusOf(error) === 404) return "missing";
        throw error;
      }
    }
    if (kind === "cronjob") return [];
    const labelSelector = Object.entries(selector ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    const list = await this.call(`list the pods of ${kind}/${name} in namespace "${ns}"`, () =>
      this.apis.core.listNamespacedPod({ namespace, labelSelector }),
    );
    return list.items;
  }

  private async selectorOf(
    kind: string,
    name: string,
    namespace: string,
  ): Promise<Record<string, string> | undefined> {
    switch (kind) {
      case "deployment":
        return (await this.apis.apps.readNamespacedDeployment({ name, namespace })).spec?.selector
          .matchLabels;
      case "statefulset":
        return (await this.apis.apps.readNamespacedStatefulSet({ name, namespace })).spec?.selector
          .matchLabels;
      case "replicaset":
        return (await this.apis.apps.readNamespacedReplicaSet({ name, namespace })).spec?.selector
          .matchLabels;
      case "job":
        return (await this.apis.batch.readNamespacedJob({ name, namespace })).spec?.selector?.matchLabels;
      case "cronjob":
        await this.apis.batch.readNamespacedCronJob({ name, namespace });
        return undefined;
      case "service":
        return (await this.apis.core.readNamespacedService({ name, namespace })).spec?.selector;
      default: {
        const rollout = (await this.apis.custom.getNamespacedCustomObject({
          group: "argoproj.io",
          version: "v1alpha1",
          namespace,
          plural: "rollouts",
          name,
        })) as { spec?: { selector?: { matchLabels?: Record<string, string> } } };
        return rollout.spec?.selector?.matchLabels;
      }
    }
  }
}
