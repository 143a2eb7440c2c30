/**
 * What a running `up` offers the control socket and the dashboard (`RunControl`): the supervisor's
 * actions, its services' state as `ps` shows it, the log buffer and the event log, composed.
 */
import type { RunType } from "../plan/assemble.js";
import type { RunControl, ServiceStatus } from "./control-types.js";
import type { EventLog } from "./event-log.js";
import type { LogBuffer } from "./log-buffer.js";
import { serviceProcesses } from "./process-table.js";
import { psState, readyAfterMs, type ServiceSlot } from "./service-state.js";
import type { Supervisor } from "./supervisor.js";

export interface RunInfo {
  /** The config file's real path. */
  file: string;
  key: string;
  /** The `--context` `up` was given: every service's kube context. */
  context?: string;
  /** The session filter's header, when some service uses it. */
  sessionHeader?: { name: string; value: string };
  /** The run's id in its session markers (`top` finds the processes that left their group by it). */
  runId: string;
}

export function runControl(
  supervisor: Supervisor,
  logBuffer: LogBuffer,
  events: EventLog,
  run: RunInfo,
): RunControl {
  const started = new Date().toISOString();
  return {
    info: () => ({
      pid: process.pid,
      file: run.file,
      key: run.key,
      ...(run.context !== undefined && { context: run.context }),
      started,
      ...(run.sessionHeader && { sessionHeader: `${run.sessionHeader.name}: ${run.sessionHeader.value}` }),
    }),
    status: () => supervisor.services().map(serviceStatus),
    logs: (services, tail) => logBuffer.tail(services, tail),
    followLogs: (listener) => logBuffer.follow(listener),
    events: () => events.events(),
    followEvents: (listener) => events.follow(listener),
    onEnded: (listener) => supervisor.onEnded(listener),
    plans: () => supervisor.plans(),
    stop: (services) => supervisor.stop(services),
    start: (services) => supervisor.start(services),
    restart: (services) => supervisor.restart(services),
    kill: (services, signal, group) => supervisor.kill(services, signal, group),
    top: (services) => {
      const slots = supervisor
        .services()
        .filter((s) => services.length === 0 || services.includes(s.plan.name));
      const found = serviceProcesses(
        run.runId,
        slots.map((s) => ({ name: s.plan.name, pgid: s.session?.pgid })),
      );
      return slots.map((s) => ({
        name: s.plan.name,
        pid: s.running ? (s.session?.pid ?? null) : null,
        processes: found.get(s.plan.name) ?? [],
      }));
    },
    reload: () => supervisor.reload(),
    shutdown: () => supervisor.shutdown(),
  };
}

/** One row of `ps`: the state from `psState`, the rest from its current (or last) session. */
export function serviceStatus(slot: ServiceSlot): ServiceStatus {
  const session = slot.session;
  const result = session?.result;
  return {
    name: slot.plan.name,
    type: slot.plan.type as RunType,
    state: psState(slot),
    pid: slot.running ? (session?.pid ?? null) : null,
    restarts: slot.restarts,
    started: slot.startedAt?.toISOString() ?? null,
    ready_after_ms: session ? (readyAfterMs(session) ?? null) : null,
    exit_code: result && !result.signal ? result.code : null,
    signal: result?.signal ?? null,
    target: targetOf(slot.plan),
  };
}

function targetOf(plan: ServiceSlot["plan"]): string | null {
  if (plan.type === "local") return null;
  return plan.mirrordConfig?.target?.path ?? "none";
}
