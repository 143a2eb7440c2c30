/**
 * The "Which session gets this request?" form: method, path, headers and port, answered by the
 * run through `POST /v1/route` (the code `mirrord-up route` uses); per service the verdict and why.
 */
import type { RouteAnswer, RouteRequest } from "../control/protocol.js";
import { byId, h } from "./dom.js";

const VERDICTS = { steals: "steals", passes: "passes", "cannot-tell": "cannot tell" } as const;

export class RouteView {
  constructor(
    private readonly box: HTMLElement,
    private readonly ask: (request: RouteRequest) => Promise<RouteAnswer>,
  ) {
    byId("route-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submit();
    });
  }

  private async submit(): Promise<void> {
    const headers: RouteRequest["headers"] = [];
    const lines = byId<HTMLTextAreaElement>("route-headers").value.split("\n");
    for (const [i, line] of lines.entries()) {
      if (line.trim() === "") continue;
      const colon = line.indexOf(":");
      if (colon <= 0) {
        this.show(h("p", { className: "error" }, `header line ${i + 1}: a header is Name: value`));
        return;
      }
      headers.push({
        name: line.slice(0, colon).trim(),
        value: line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ""),
      });
    }
    const port = byId<HTMLInputElement>("route-port").value;
    const operator = byId<HTMLSelectElement>("route-operator").value;
    const request: RouteRequest = {
      method: byId<HTMLInputElement>("route-method").value.trim(),
      target: byId<HTMLInputElement>("route-path").value.trim(),
      headers,
      ...(port !== "" && { port: Number(port) }),
      ...(operator !== "" && { operator: operator === "yes" }),
    };
    this.show(h("p", { className: "muted" }, "asking…"));
    try {
      this.render(await this.ask(request));
    } catch (error) {
      this.show(h("p", { className: "error" }, error instanceof Error ? error.message : String(error)));
    }
  }

  private render(answer: RouteAnswer): void {
    const rows = answer.services.map((s) =>
      h(
        "li",
        { className: `route-service ${s.verdict}`, "data-service": s.service },
        h("strong", {}, s.service),
        " ",
        h("span", { className: `verdict ${s.verdict}` }, VERDICTS[s.verdict]),
        h("span", { className: "muted" }, ` ${s.target}${s.port === undefined ? "" : ` port ${s.port}`}`),
        h(
          "ul",
          { className: "reasons" },
          ...s.reasons.map((r) => h("li", {}, r.text, " ", h("code", {}, r.source))),
        ),
      ),
    );
    const conflicts =
      answer.conflicts.length === 0
        ? []
        : [
            h("h4", {}, "Conflicts"),
            h("ul", {}, ...answer.conflicts.map((c) => h("li", {}, c.text, " ", h("code", {}, c.source)))),
          ];
    this.show(
      h("p", { className: "route-summary", id: "route-summary" }, answer.summary),
      h("ul", { className: "route-services" }, ...rows),
      ...conflicts,
    );
  }

  private show(...nodes: Node[]): void {
    this.box.replaceChildren(...nodes);
  }
}
