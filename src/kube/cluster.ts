/**
 * The few cluster reads mirrord-up needs, each bounded in time: workloads of a namespace in
 * upstream's priority order (deployment, statefulset, Argo rollout, pod), and namespaces.
 */
import type { V1ObjectMeta, V1Pod } from "@kubernetes/client-node";
import { describeKubeFailure, KubeError } from "./errors.js";
import { loadClientNode, type ResolvedContext } from "./kubeconfig.js";

/** How long one API call may take; `MIRRORD_UP_KUBE_TIMEOUT` (seconds) changes it. */
export function kubeTimeoutMs(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env.MIRRORD_UP_KUBE_TIMEOUT);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 10_000;
}

/**
 * Containers mirrord never offers as a target: mesh and other injected sidecars and their init
 * containers (upstream `SKIP_NAMES`, mirrord/kube/src/api/container.rs).
 */
export const SKIPPED_CONTAINERS: ReadonlySet<string> = new Set([
  "kuma-sidecar",
  "kuma-init",
  "istio-proxy",
  "istio-init",
  "linkerd-proxy",
  "linkerd-init",
  "vault-agent",
  "vault-agent-init",
  "queue-proxy", // Knative
  "traffic-agent", // Telepresence
]);

export class ClusterClient {
  private constructor(
    readonly context: ResolvedContext,
    private readonly timeoutMs: number,
    private readonly apis: {
      core: import("@kubernetes/client-node").CoreV1Api;
      apps: import("@kubernetes/client-node").AppsV1Api;
      custom: import("@kubernetes/client-node").CustomObjectsApi;
    },
  ) {}

  static async create(context: ResolvedContext, timeoutMs: number): Promise<ClusterClient> {
    const k8s = await loadClientNode();
    const kc = context.kubeConfig;
    return new ClusterClient(context, timeoutMs, {
      core: kc.makeApiClient(k8s.CoreV1Api),
      apps: kc.makeApiClient(k8s.AppsV1Api),
      custom: kc.makeApiClient(k8s.CustomObjectsApi),
    });
  }

  /** Target paths in the namespace, in priority order: deployments, statefulsets, rollouts, pods. */
  async listWorkloads(namespace: string): Promise<string[]> {
    const [deployments, statefulsets, rollouts, pods] = await Promise.all([
      this.call(`list deployments in namespace "${namespace}"`, () =>
        this.apis.apps.listNamespacedDeployment({ namespace }),
      ),
      this.call(`list statefulsets in namespace "${namespace}"`, () =>
        this.apis.apps.listNamespacedStatefulSet({ namespace }),
      ),
      this.listRollouts(namespace),
      this.call(`list pods in namespace "${namespace}"`, () =>
        this.apis.core.listNamespacedPod({ namespace }),
      ),
    ]);
    return [
      ...names(deployments.items).map((n) => `deployment/${n}`),
      ...names(statefulsets.items).map((n) => `statefulset/${n}`),
      ...rollouts.map((n) => `rollout/${n}`),
      ...pods.items.filter(isTargetablePod).flatMap(podPaths),
    ];
  }

  async listNamespaces(): Promise<string[]> {
    const list = await this.call("list namespaces", () => this.apis.core.listNamespace());
    return names(list.items).sort();
  }

  /** True when the namespace exists; a lookup that found nothing checks this to say why. */
  async namespaceExists(namespace: string): Promise<boolean> {
    try {
      await this.call(`read namespace "${namespace}"`, () =>
        this.apis.core.readNamespace({ name: namespace }),
      );
      return true;
    } catch (error) {
      if (error instanceof KubeError && /HTTP 404/.test(error.message)) return false;
      throw error;
    }
  }

  /** Argo rollouts are a CRD: a cluster without it answers 404, which means "none". */
  private async listRollouts(namespace: string): Promise<string[]> {
    try {
      const list = (await this.call(`list rollouts in namespace "${namespace}"`, () =>
        this.apis.custom.listNamespacedCustomObject({
          group: "argoproj.io",
          version: "v1alpha1",
          namespace,
          plural: "rollouts",
        }),
      )) as { items?: { metadata?: V1ObjectMeta }[] };
      return names(list.items ?? []);
    } catch (error) {
      if (error instanceof KubeError && /HTTP 404/.test(error.message)) return [];
      throw error;
    }
  }

  private call<T>(action: string, request: () => Promise<T>): Promise<T> {
    return boundedCall(this.context, this.timeoutMs, action, request, TIMEOUT_HINT);
  }
}

const TIMEOUT_HINT =
  "is the cluster up, and are you on its network (VPN)? MIRRORD_UP_KUBE_TIMEOUT sets the wait in seconds";

/**
 * One API call, bounded by `timeoutMs`; every failure a `KubeError` naming the context and the
 * server (never a credential), `timeoutHint` the hint of a call that got no answer.
 */
export async function boundedCall<T>(
  context: ResolvedContext,
  timeoutMs: number,
  action: string,
  request: () => Promise<T>,
  timeoutHint: string,
): Promise<T> {
  const site = {
    context: context.name,
    server: context.server,
    action,
    credentialPlugin: context.credentialPlugin,
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new KubeError(
            `no answer from the API server within ${timeoutMs / 1000}s (context "${site.context}", server ${site.server}) while trying to ${action}`,
            timeoutHint,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([request(), timeout]);
  } catch (error) {
    throw error instanceof KubeError ? error : describeKubeFailure(error, site);
  } finally {
    clearTimeout(timer);
  }
}

export function names(items: readonly { metadata?: V1ObjectMeta }[]): string[] {
  return items
    .filter((item) => item.metadata?.name && !isMirrordOwned(item.metadata))
    .map((item) => item.metadata?.name as string);
}

/**
 * mirrord's own agents and the operator's copies are never targets: upstream's seeker lists with
 * the label selector `app!=mirrord,!operator.metalbear.co/owner`, applied here to the labels.
 */
function isMirrordOwned(meta: V1ObjectMeta): boolean {
  const labels = meta.labels ?? {};
  return labels.app === "mirrord" || Object.hasOwn(labels, "operator.metalbear.co/owner");
}

/** Upstream only offers pods that are Running and Ready. */
export function isTargetablePod(pod: V1Pod): boolean {
  if (!pod.metadata?.name || isMirrordOwned(pod.metadata)) return false;
  if (pod.status?.phase !== "Running") return false;
  return (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/** `pod/p`, or `pod/p/container/c` per container when the pod has several (sidecars left out). */
function podPaths(pod: V1Pod): string[] {
  const name = pod.metadata?.name as string;
  const containers = (pod.spec?.containers ?? [])
    .map((c) => c.name)
    .filter((c) => !SKIPPED_CONTAINERS.has(c));
  if (containers.length <= 1) return [`pod/${name}`];
  return containers.map((c) => `pod/${name}/container/${c}`);
}
