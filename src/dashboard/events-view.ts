/** The events timeline, newest first: started, ready (and after how long), restarted (by whom), failed, stopped. */
import type { RunEvent } from "../run/control-types.js";
import { h } from "./dom.js";

const KEPT_EVENTS = 1000;
const BY: Record<NonNullable<RunEvent["by"]>, string> = {
  request: "on request",
  policy: "by the restart policy",
  reload: "by a reload",
  dependency: "because of a dependency",
};

/** The event's cause in words, from its `by` (the run records the cause; the page only words it). */
function cause(event: RunEvent): string {
  if (!event.by) return "";
  // Started for a service that needs it (a `start` of that one), not held back by one.
  if (event.by === "dependency" && event.kind === "started") return "for a service that needs it";
  return BY[event.by] ?? event.by;
}

export class EventsView {
  constructor(private readonly list: HTMLOListElement) {}

  /** A reconnected stream sends the whole timeline again. */
  reset(): void {
    this.list.replaceChildren();
  }

  add(event: RunEvent): void {
    const time = new Date(event.time);
    this.list.prepend(
      h(
        "li",
        { className: `ev k-${event.kind}` },
        h("time", { datetime: time.toISOString() }, time.toLocaleTimeString([], { hour12: false })),
        h("span", { className: "svc" }, event.service),
        h("span", { className: "kind" }, event.kind),
        event.by ? h("span", { className: "by" }, cause(event)) : "",
        event.detail ? h("span", { className: "detail" }, event.detail) : "",
      ),
    );
    while (this.list.childElementCount > KEPT_EVENTS) this.list.lastElementChild?.remove();
  }
}
