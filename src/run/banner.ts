/**
 * The "all 3 services ready" banner, as text: how long it took, the header that reaches the
 * sessions using the session filter (with a curl line to paste), for every other service what
 * it steals, and the dashboard's address when it is served (printed once when it started, that
 * line has scrolled away by now). Pure, so what a person reads is tested without processes.
 */
import type { SessionPlan } from "../plan/assemble.js";
import { byCodeUnit } from "../text/compare.js";
import { countOf } from "./service-words.js";

export interface BannerLine {
  text: string;
  style?: "ok";
}

export function bannerLines(
  plans: readonly SessionPlan[],
  header: { name: string; value: string } | undefined,
  took: string,
  dashboard?: string,
): BannerLine[] {
  const what = `${plans.length === 1 ? "" : "all "}${countOf(plans)}`;
  const lines: BannerLine[] = [{ text: `mirrord-up: ${what} ready in ${took}`, style: "ok" }];
  const sorted = [...plans].sort((a, b) => byCodeUnit(a.name, b.name));
  const filtered = sorted.filter((p) => p.usesSessionFilter);
  if (header && filtered.length > 0) {
    const line = `${header.name}: ${header.value}`;
    lines.push({ text: `  send requests with the header  ${line}` });
    const address = filtered.map(localAddress).find((a) => a !== undefined) ?? "http://<service>/";
    lines.push({ text: `  e.g.  curl -H ${shellQuote(line)} ${address}` });
  }
  const others = sorted.filter((p) => p.type !== "local" && !p.usesSessionFilter);
  const width = Math.max(0, ...others.map((p) => p.name.length));
  for (const plan of others) {
    lines.push({ text: `  ${plan.name.padEnd(width)}  steals ${describeSteal(plan)}` });
  }
  if (dashboard) lines.push({ text: `  dashboard: ${dashboard}` });
  return lines;
}

/** Where the service answers on this machine, when its `ready_when` says so. */
export function localAddress(plan: SessionPlan): string | undefined {
  const check = plan.lifecycle.readyWhen?.check;
  if (check?.kind === "port") return `http://127.0.0.1:${check.port}/`;
  if (check?.kind === "http") {
    try {
      return `${new URL(check.url).origin}/`;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** `requests with header ^x-user: bob$`, `all requests (replace mode)`. */
function describeSteal(plan: SessionPlan): string {
  if (plan.mode === "replace") return "all requests (replace mode: the target is copied and scaled down)";
  const filter = plan.mirrordConfig?.feature.network.incoming.http_filter as
    | Record<string, unknown>
    | undefined;
  if (!filter) return "all requests";
  const ports = filter.ports;
  const on =
    ports === undefined
      ? ""
      : ` on port${Array.isArray(ports) && ports.length !== 1 ? "s" : ""} ${[ports].flat().join(", ")}`;
  return `requests with ${describeFilter(filter)}${on}`;
}

function describeFilter(filter: Record<string, unknown>): string {
  if (typeof filter.header_filter === "string") return `header ${filter.header_filter}`;
  if (typeof filter.path_filter === "string") return `path ${filter.path_filter}`;
  if (typeof filter.method_filter === "string") return `method ${filter.method_filter}`;
  if (typeof filter.header_filter_jq === "string") return `headers matching jq ${filter.header_filter_jq}`;
  const body = filter.body_filter as { query?: string; matches?: string } | undefined;
  if (body) return `a JSON body where ${body.query} matches ${body.matches}`;
  for (const kind of ["all_of", "any_of"] as const) {
    const list = filter[kind];
    if (Array.isArray(list)) {
      const parts = list.map((entry) => describeInner(entry as Record<string, unknown>));
      return `${kind === "all_of" ? "all of" : "any of"}: ${parts.join("; ")}`;
    }
  }
  return "its filter";
}

function describeInner(entry: Record<string, unknown>): string {
  if (typeof entry.header === "string") return `header ${entry.header}`;
  if (typeof entry.path === "string") return `path ${entry.path}`;
  if (typeof entry.method === "string") return `method ${entry.method}`;
  if (entry.body !== undefined) return `a JSON body where ${entry.query} matches ${entry.matches}`;
  if (typeof entry.query === "string") return `query ${entry.query}`;
  return JSON.stringify(entry);
}

/** Quotes for a POSIX shell, for the copy-paste curl example. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
