/** A few DOM helpers: elements are built with properties and text, never from markup strings. */

type Props = { [key: string]: string | boolean | number | undefined | ((event: Event) => void) };

/** `h("button", {type: "button", onclick: f}, "Restart")`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "className") el.className = String(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  el.append(...children);
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

/** Sets text only when it changed (no layout work, and a screen reader is not told again). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Copies text, saying so in `status` (the Clipboard API works on 127.0.0.1, a secure context). */
export async function copy(text: string, status: (message: string) => void): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    status("copied to the clipboard");
  } catch {
    status(`copy failed; select it by hand: ${text}`);
  }
}
