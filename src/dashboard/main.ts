/**
 * The dashboard page: takes the run's token from the address's fragment (which browsers never
 * send) into the tab's sessionStorage, shows the services, the log and the events live, and steers
 * the run through the same API as `mirrord-up ps`, `logs`, `restart`. Opened without a valid
 * token, it explains how to get the address.
 */
import type { InfoResponse, RouteAnswer, RouteRequest, ServicesResponse } from "../control/protocol.js";
import type { ActionResult, LogEntry, RunEvent } from "../run/control-types.js";
import { Api, type StreamEnd, Unauthorized } from "./api.js";
import { ConfigsView } from "./configs-view.js";
import { byId, copy, setText } from "./dom.js";
import { EventsView } from "./events-view.js";
import { LogView } from "./log-view.js";
import { RouteView } from "./route-view.js";
import { type ServiceAction, ServicesView } from "./services-view.js";
import { forgetToken, fragmentToken, takeToken } from "./token.js";

/** How often the table is read even without events (a safety net; events trigger it at once). */
const POLL_MS = 5000;
const RETRY_MS = [500, 1000, 2000, 5000];

type Connection = "connecting" | "live" | "reconnecting" | "ended";

function main(): void {
  // First of all: the token leaves the address before anything else can fail or wait.
  const token = takeToken();
  // A printed address pasted into this tab changes only the fragment, which loads nothing.
  window.addEventListener("hashchange", () => {
    if (fragmentToken() === null) return;
    takeToken();
    location.reload();
  });
  if (!token) {
    showNoToken(false);
    return;
  }
  const refused = () => {
    forgetToken();
    showNoToken(true);
  };
  start(new Api(token, refused)).catch((error: unknown) => {
    if (!(error instanceof Unauthorized))
      setText(byId("connection"), `cannot reach mirrord-up: ${String(error)}`);
  });
}

function showNoToken(stale: boolean): void {
  byId("app").hidden = true;
  byId("no-token").hidden = false;
  setText(byId("connection"), "");
  if (stale) {
    setText(byId("no-token-title"), "This address is out of date");
    setText(
      byId("no-token-why"),
      "Its token was not accepted: every run of mirrord-up has a new one, so the address of an earlier run no longer works, nor does a tab opened with it.",
    );
  }
}

async function start(api: Api): Promise<void> {
  const info = await api.get<InfoResponse>("/v1/info");
  showSession(info);
  byId("app").hidden = false;

  const notice = byId("notice");
  const say = (message: string) => setText(notice, message);
  const logs = new LogView(byId("log"), byId("log-count"));
  const events = new EventsView(byId<HTMLOListElement>("events"));
  const configs = new ConfigsView(byId("configs"), say);
  new RouteView(byId("route-answer"), (request) =>
    api.ask<RouteAnswer>("/v1/route", request satisfies RouteRequest),
  );
  const tabs = new Tabs(["logs", "events", "configs", "route"], (tab) => {
    if (tab === "configs") void loadConfigs();
  });
  const serviceFilter = byId<HTMLSelectElement>("log-service");
  const search = byId<HTMLInputElement>("log-search");
  let reveal = false;

  const services = new ServicesView(byId("services").querySelector("tbody") as HTMLTableSectionElement, {
    act: (action, name) => void act(action, name),
    showLogs: (name) => {
      serviceFilter.value = name;
      applyFilter();
      tabs.select("logs");
      byId("log").focus();
    },
    showConfig: (name) => {
      tabs.select("configs");
      void loadConfigs().then(() => configs.show(name));
    },
    lastLines: (name) => logs.lastLines(name, 8),
  });

  // --- the table: read on every event, coalesced (one request at a time, one more if needed)
  let reading: Promise<void> | undefined;
  let readAgain = false;
  const refresh = (): Promise<void> => {
    if (reading) {
      readAgain = true;
      return reading;
    }
    reading = api
      .get<ServicesResponse>("/v1/services")
      .then(({ services: list }) => {
        services.update(list);
        logs.setServices(list.map((s) => s.name));
        fillServiceFilter(
          serviceFilter,
          list.map((s) => s.name),
        );
      })
      .catch(() => {})
      .finally(() => {
        reading = undefined;
        if (readAgain) {
          readAgain = false;
          void refresh();
        }
      });
    return reading;
  };

  async function act(action: ServiceAction, name: string): Promise<void> {
    services.setBusy(name, true);
    say(`${action} ${name}…`);
    let result: ActionResult;
    try {
      result = await api.post(`/v1/${action}`, { services: [name] });
    } catch (error) {
      result = { ok: false, errors: [String(error)] };
    } finally {
      services.setBusy(name, false);
    }
    say(result.ok ? result.messages.join("; ") || `${action} ${name}: done` : result.errors.join("; "));
    void refresh();
  }

  async function loadConfigs(): Promise<void> {
    try {
      const { services: list } = await api.get<{ services: [] }>(`/v1/configs${reveal ? "?reveal=1" : ""}`);
      configs.render(list);
    } catch (error) {
      say(`cannot read the configs: ${String(error)}`);
    }
  }

  // --- controls
  const applyFilter = () => logs.filter(serviceFilter.value, search.value);
  serviceFilter.addEventListener("change", applyFilter);
  let typing = 0;
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = window.setTimeout(applyFilter, 120);
  });
  byId("log-tools").addEventListener("submit", (event) => event.preventDefault());
  const pause = byId<HTMLButtonElement>("log-pause");
  pause.addEventListener("click", () => {
    const paused = pause.getAttribute("aria-pressed") !== "true";
    pause.setAttribute("aria-pressed", String(paused));
    setText(pause, paused ? "Resume" : "Pause");
    logs.setPaused(paused);
  });
  const revealButton = byId<HTMLButtonElement>("reveal");
  revealButton.addEventListener("click", () => {
    reveal = !reveal;
    revealButton.setAttribute("aria-pressed", String(reveal));
    setText(revealButton, reveal ? "Hide env values" : "Show env values");
    void loadConfigs();
  });
  byId("copy-header").addEventListener("click", () => void copy(info.sessionHeader ?? "", say));
  document.addEventListener("keydown", (event) => {
    const typingInField =
      event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement;
    if (event.key === "/" && !typingInField && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      tabs.select("logs");
      search.focus();
    }
  });

  // --- live streams
  let connection: Connection = "connecting";
  const streams = new Map<string, boolean>();
  const setConnection = (name: string, live: boolean) => {
    streams.set(name, live);
    if (connection === "ended") return;
    connection = [...streams.values()].every(Boolean) && streams.size === 2 ? "live" : "reconnecting";
    showConnection(connection);
  };
  const ended = () => {
    if (connection === "ended") return;
    connection = "ended";
    showConnection(connection);
    services.end();
    void refresh();
  };
  const follow = (name: string, path: string, onItem: (item: unknown) => void, onOpen?: () => void) => {
    void (async () => {
      for (let attempt = 0; connection !== "ended"; attempt++) {
        let end: StreamEnd = "cut";
        try {
          const opened = () => {
            attempt = 0;
            setConnection(name, true);
            onOpen?.();
          };
          end = await api.stream(path, opened, onItem, new AbortController().signal);
        } catch (error) {
          if (error instanceof Unauthorized) return;
        }
        setConnection(name, false);
        if (end === "run-ended" || end === "closing") {
          ended();
          return;
        }
        await new Promise((r) => setTimeout(r, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
      }
    })();
  };
  follow(
    "events",
    "/v1/events?follow=1",
    (item) => {
      events.add(item as RunEvent);
      void refresh();
    },
    // A reconnected stream sends the whole timeline again.
    () => events.reset(),
  );
  // The names first: they decide the colours, in sorted order as in the terminal. The tail is
  // per service; what was seen already is skipped by its sequence number.
  await refresh();
  follow("logs", "/v1/logs?follow=1&tail=1000", (item) => {
    const entry = item as LogEntry;
    logs.add(entry);
    services.linesChanged(entry.service);
  });
  window.setInterval(() => services.tick(), 1000);
  window.setInterval(() => {
    if (connection !== "ended") void refresh();
  }, POLL_MS);
}

function showSession(info: InfoResponse): void {
  byId("session").hidden = false;
  setText(byId("file"), info.file);
  setText(byId("key"), info.key ?? "–");
  if (info.sessionHeader) {
    byId("header-item").hidden = false;
    setText(byId("header"), info.sessionHeader);
  }
  document.title = `mirrord-up · ${info.file.split("/").at(-1) ?? ""}`;
}

function showConnection(state: Connection): void {
  const el = byId("connection");
  el.className = `connection ${state}`;
  setText(
    el,
    state === "live"
      ? "live"
      : state === "ended"
        ? "the run has ended"
        : state === "connecting"
          ? "connecting…"
          : "reconnecting…",
  );
}

function fillServiceFilter(select: HTMLSelectElement, names: readonly string[]): void {
  const have = [...select.options].slice(1).map((o) => o.value);
  if (have.join("\n") === names.join("\n")) return;
  const chosen = select.value;
  select.replaceChildren(select.options[0] as HTMLOptionElement, ...names.map((n) => new Option(n, n)));
  select.value = names.includes(chosen) ? chosen : "";
}

/** Tabs as the ARIA pattern has them: arrow keys move between tabs, Tab goes into the panel. */
class Tabs {
  constructor(
    private readonly names: readonly string[],
    private readonly onSelect: (name: string) => void,
  ) {
    names.forEach((name, i) => {
      const tab = byId(`tab-${name}`);
      tab.addEventListener("click", () => this.select(name));
      tab.addEventListener("keydown", (event) => {
        const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
        if (step === 0) return;
        const next = names[(i + step + names.length) % names.length] as string;
        this.select(next);
        byId(`tab-${next}`).focus();
      });
    });
  }

  select(name: string): void {
    for (const other of this.names) {
      const tab = byId(`tab-${other}`);
      const selected = other === name;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      byId(`panel-${other}`).hidden = !selected;
    }
    this.onSelect(name);
  }
}

main();
