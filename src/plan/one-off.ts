/**
 * `mirrord-up run SERVICE [--steal] -- CMD...`: a one-off command under a service's mirrord
 * configuration. Like `docker compose run`, which publishes none of the service's ports unless
 * `--service-ports`, it takes no traffic unless `--steal`: mirrord's incoming mode is `off` (nothing
 * stolen or mirrored), no queue is split to it, and no copy of the target is made (so `replace`
 * mode does not scale the target down). Outgoing traffic, DNS, files and the environment are the
 * service's, as with `up`. Pure.
 */
import type { MirrordConfig, SessionPlan } from "./assemble.js";

/** The service's plan with `command` (when given) and, without `steal`, no incoming traffic. */
export function oneOffPlan(plan: SessionPlan, command: readonly string[], steal: boolean): SessionPlan {
  const config = plan.mirrordConfig;
  return {
    ...plan,
    command: command.length > 0 ? [...command] : [...plan.command],
    ...(config && !steal && { mirrordConfig: withoutIncoming(config), usesSessionFilter: false }),
  };
}

function withoutIncoming(config: MirrordConfig): MirrordConfig {
  const { copy_target: _copy, split_queues: _queues, ...feature } = config.feature;
  return { ...config, feature: { ...feature, network: { incoming: { mode: "off" } } } };
}
