/**
 * A scripted `RunControl`: the interface a running `up` offers, with state a test sets directly.
 * It stands in for the run (the other side of the interface) so that the control socket, the
 * client and the CLI commands can be tested on their own, over a real socket; the end-to-end
 * tests in test/control-e2e.test.ts use the real `up`.
 */
import type {
  ActionResult,
  LogEntry,
  LogStream,
  RunControl,
  RunEvent,
  ServiceProcesses,
  ServiceStatus,
} from "../../src/run/control-types.js";

export class RunControlStub implements RunControl {
  services: ServiceStatus[] = [];
  entries: LogEntry[] = [];
  eventLog: RunEvent[] = [];
  /** Every action called, in order: `["restart", ["api"]]`. */
  calls: [string, string[]][] = [];
  /** What the next actions answer. */
  nextResult: ActionResult = { ok: true, messages: ["done"] };
  shutdownRequested = false;
  /** What `/v1/info` says: the run's key and the `--context` it was started with. */
  key = "tester";
  context: string | undefined;
  private seq = 0;
  private readonly logFollowers = new Set<(entry: LogEntry) => void>();
  private readonly eventFollowers = new Set<(event: RunEvent) => void>();
  private readonly endListeners: (() => void)[] = [];
  private ended = false;

  constructor(names: string[] = ["api", "web"]) {
    this.services = names.map((name) => service(name));
  }

  info() {
    return {
      pid: process.pid,
      file: "/stub/mirrord-up.yaml",
      key: this.key,
      ...(this.context !== undefined && { context: this.context }),
      started: new Date(0).toISOString(),
    };
  }

  status(): ServiceStatus[] {
    return this.services;
  }

  /** Appends output as the run would; `text` is latin1, whole lines. */
  emit(service: string, stream: LogStream, text: string, time = Date.now()): LogEntry {
    const entry: LogEntry = { seq: ++this.seq, service, stream, time, text };
    this.entries.push(entry);
    for (const follower of this.logFollowers) follower(entry);
    return entry;
  }

  logs(services: readonly string[], tail: number): LogEntry[] {
    const picked: LogEntry[] = [];
    const names = services.length > 0 ? services : [...new Set(this.entries.map((e) => e.service))];
    for (const name of names) {
      const mine = this.entries.filter((e) => e.service === name);
      picked.push(...mine.slice(Math.max(0, mine.length - tail)));
    }
    return picked.sort((a, b) => a.seq - b.seq);
  }

  followLogs(listener: (entry: LogEntry) => void): () => void {
    this.logFollowers.add(listener);
    return () => this.logFollowers.delete(listener);
  }

  get logFollowerCount(): number {
    return this.logFollowers.size;
  }

  events(): RunEvent[] {
    return this.eventLog;
  }

  event(event: RunEvent): void {
    this.eventLog.push(event);
    for (const follower of this.eventFollowers) follower(event);
  }

  followEvents(listener: (event: RunEvent) => void): () => void {
    this.eventFollowers.add(listener);
    return () => this.eventFollowers.delete(listener);
  }

  onEnded(listener: () => void): void {
    if (this.ended) listener();
    else this.endListeners.push(listener);
  }

  /** The run is over: every `onEnded` listener is called. */
  end(): void {
    this.ended = true;
    for (const listener of this.endListeners.splice(0)) listener();
  }

  async restart(services: readonly string[]): Promise<ActionResult> {
    this.calls.push(["restart", [...services]]);
    return this.nextResult;
  }

  async stop(services: readonly string[]): Promise<ActionResult> {
    this.calls.push(["stop", [...services]]);
    return this.nextResult;
  }

  async start(services: readonly string[]): Promise<ActionResult> {
    this.calls.push(["start", [...services]]);
    return this.nextResult;
  }

  /** Kills asked for: `[services, signal, group]`. */
  kills: [string[], NodeJS.Signals, boolean][] = [];

  async kill(services: readonly string[], signal: NodeJS.Signals, group: boolean): Promise<ActionResult> {
    this.calls.push(["kill", [...services]]);
    this.kills.push([[...services], signal, group]);
    return this.nextResult;
  }

  /** What `top` answers, by service; a service not listed has no processes. */
  processes = new Map<string, ServiceProcesses["processes"]>();

  top(services: readonly string[]): ServiceProcesses[] {
    const names = services.length > 0 ? services : this.services.map((s) => s.name);
    return names.map((name) => ({
      name,
      pid: this.services.find((s) => s.name === name)?.pid ?? null,
      processes: this.processes.get(name) ?? [],
    }));
  }

  async reload(): Promise<ActionResult> {
    this.calls.push(["reload", []]);
    return this.nextResult;
  }

  shutdown(): void {
    this.shutdownRequested = true;
    this.calls.push(["shutdown", []]);
  }
}

export function service(name: string, fields: Partial<ServiceStatus> = {}): ServiceStatus {
  return {
    name,
    type: "exec",
    state: "ready",
    pid: 4242,
    restarts: 0,
    started: new Date().toISOString(),
    ready_after_ms: 2100,
    exit_code: null,
    signal: null,
    target: `deployment/${name}`,
    ...fields,
  };
}
