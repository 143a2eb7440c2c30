/**
 * Each service's command and generated mirrord.json (or a local service's variables), with a curl
 * example. The server masks the values of `env` unless the reader asks to see them.
 */
import type { ServiceConfigView } from "../control/protocol.js";
import { copy, h } from "./dom.js";

export class ConfigsView {
  constructor(
    private readonly box: HTMLElement,
    private readonly say: (message: string) => void,
  ) {}

  render(services: readonly ServiceConfigView[]): void {
    this.box.replaceChildren(...services.map((s) => this.section(s)));
  }

  /** Brings a service's section into view and focus. */
  show(service: string): void {
    const heading = document.getElementById(`config-${service}`);
    heading?.scrollIntoView({ block: "start" });
    heading?.focus();
  }

  private section(s: ServiceConfigView): HTMLElement {
    const parts: (Node | string)[] = [
      h(
        "h3",
        { id: `config-${s.name}`, tabindex: -1 },
        s.name,
        h("span", { className: "muted" }, ` ${s.type}`),
      ),
      h("p", {}, h("span", { className: "label" }, "command"), h("code", {}, shellJoin(s.command))),
    ];
    if (s.curl) {
      const curl = s.curl;
      parts.push(
        h(
          "p",
          {},
          h("span", { className: "label" }, "try it"),
          h("code", {}, curl),
          " ",
          h(
            "button",
            {
              type: "button",
              className: "small",
              "aria-label": `Copy the curl example for ${s.name}`,
              onclick: () => void copy(curl, this.say),
            },
            "Copy",
          ),
        ),
      );
    }
    if (s.config !== undefined) {
      parts.push(
        h("p", { className: "label" }, "mirrord.json"),
        h("pre", { className: "json" }, JSON.stringify(s.config, null, 2)),
      );
    }
    if (s.env) {
      const lines = Object.entries(s.env).map(([k, v]) => `${k}=${v}`);
      parts.push(h("p", { className: "label" }, "env"), h("pre", { className: "json" }, lines.join("\n")));
    }
    return h("section", { className: "config", "aria-labelledby": `config-${s.name}` }, ...parts);
  }
}

/** The command as one would type it in a POSIX shell. */
function shellJoin(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" ");
}
