/**
 * The services table: one row per service, what `mirrord-up ps` shows, with buttons to restart,
 * stop and start it. Rows are updated in place (a focused button keeps its focus); a failed
 * service gets a second row with its last lines.
 */
import type { ServiceState, ServiceStatus } from "../run/control-types.js";
import { formatDuration } from "../text/duration.js";
import { h, setText } from "./dom.js";

export type ServiceAction = "restart" | "stop" | "start";

export interface ServiceActions {
  act(action: ServiceAction, service: string): void;
  showLogs(service: string): void;
  showConfig(service: string): void;
  lastLines(service: string): string[];
}

const COLUMNS = ["Service", "Type", "Target", "State", "PID", "Uptime", "Restarts", "Ready after", "Exit"];
/** States in which the service's process runs (or is about to): Start does nothing there. */
const ACTIVE: readonly ServiceState[] = ["waiting", "starting", "ready", "running", "restarting"];
/** States with a process whose age is worth showing. */
const RUNNING: readonly ServiceState[] = ["starting", "ready", "running"];

interface Row {
  status: ServiceStatus;
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
  state: HTMLSpanElement;
  buttons: Record<ServiceAction, HTMLButtonElement>;
  detail: HTMLTableRowElement;
  lines: HTMLPreElement;
}

export class ServicesView {
  private readonly rows = new Map<string, Row>();
  private readonly busy = new Set<string>();
  private ended = false;

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly actions: ServiceActions,
  ) {}

  update(services: readonly ServiceStatus[]): void {
    const names = new Set(services.map((s) => s.name));
    for (const [name, row] of this.rows) {
      if (names.has(name)) continue;
      row.tr.remove();
      row.detail.remove();
      this.rows.delete(name);
    }
    let previous: Element | null = null;
    for (const status of services) {
      let row = this.rows.get(status.name);
      if (!row) {
        row = this.createRow(status);
        this.rows.set(status.name, row);
      }
      row.status = status;
      this.fill(row);
      // Keep the order of `ps` (sorted by name); move rows only when they are out of place.
      const expected: Element | null = previous ? previous.nextElementSibling : this.body.firstElementChild;
      if (expected !== row.tr) {
        if (previous) previous.after(row.tr, row.detail);
        else this.body.prepend(row.tr, row.detail);
      }
      previous = row.detail;
    }
  }

  /** Uptimes move with the clock. */
  tick(): void {
    for (const row of this.rows.values()) setText(row.cells[5] as HTMLTableCellElement, uptime(row.status));
  }

  /** New lines of a service arrived: a failed service's last lines may have changed. */
  linesChanged(service: string): void {
    const row = this.rows.get(service);
    if (row?.status.state === "failed") this.fillLastLines(row);
  }

  setBusy(service: string, busy: boolean): void {
    if (busy) this.busy.add(service);
    else this.busy.delete(service);
    const row = this.rows.get(service);
    if (row) this.fill(row);
  }

  /** The run is over: nothing can be steered any more. */
  end(): void {
    this.ended = true;
    for (const row of this.rows.values()) this.fill(row);
  }

  private createRow(status: ServiceStatus): Row {
    const name = status.name;
    const cells = COLUMNS.map((label) => h("td", { "data-label": label }));
    const state = h("span", { className: "state" });
    cells[3]?.append(state);
    const button = (action: ServiceAction, text: string) =>
      h(
        "button",
        {
          type: "button",
          className: `small ${action}`,
          "aria-label": `${text} ${name}`,
          onclick: () => this.actions.act(action, name),
        },
        text,
      );
    const buttons = {
      restart: button("restart", "Restart"),
      stop: button("stop", "Stop"),
      start: button("start", "Start"),
    };
    const actions = h(
      "td",
      { className: "actions" },
      buttons.restart,
      buttons.stop,
      buttons.start,
      h(
        "button",
        {
          type: "button",
          className: "small link",
          "aria-label": `Logs of ${name}`,
          onclick: () => this.actions.showLogs(name),
        },
        "Logs",
      ),
      h(
        "button",
        {
          type: "button",
          className: "small link",
          "aria-label": `Config of ${name}`,
          onclick: () => this.actions.showConfig(name),
        },
        "Config",
      ),
    );
    const tr = h("tr", { "data-service": name }, ...cells, actions);
    const lines = h("pre", { className: "last-lines" });
    const detail = h(
      "tr",
      { className: "detail", hidden: true },
      h(
        "td",
        { colspan: COLUMNS.length + 1 },
        h("span", { className: "muted" }, `last lines of ${name}:`),
        lines,
      ),
    );
    return { status, tr, cells, state, buttons, detail, lines };
  }

  private fill(row: Row): void {
    const s = row.status;
    const values = [
      s.name,
      s.type,
      s.target ?? "–",
      "",
      s.pid === null ? "–" : String(s.pid),
      uptime(s),
      String(s.restarts),
      s.ready_after_ms === null ? "–" : formatDuration(s.ready_after_ms),
      s.signal ?? (s.exit_code === null ? "–" : String(s.exit_code)),
    ];
    values.forEach((value, i) => {
      if (i !== 3) setText(row.cells[i] as HTMLTableCellElement, value);
    });
    setText(row.state, s.state);
    row.state.className = `state s-${s.state}`;
    row.tr.dataset.state = s.state;
    const busy = this.ended || this.busy.has(s.name);
    row.buttons.restart.disabled = busy;
    row.buttons.stop.disabled = busy || !ACTIVE.includes(s.state);
    row.buttons.start.disabled = busy || ACTIVE.includes(s.state);
    row.detail.hidden = s.state !== "failed";
    if (s.state === "failed") this.fillLastLines(row);
  }

  private fillLastLines(row: Row): void {
    setText(row.lines, this.actions.lastLines(row.status.name).join("\n") || "(it wrote nothing)");
  }
}

function uptime(s: ServiceStatus): string {
  if (!RUNNING.includes(s.state) || s.started === null) return "–";
  return formatDuration(Date.now() - Date.parse(s.started), { wholeSeconds: true });
}
