/**
 * Tera's whitespace control (`parser/whitespace.rs`): `{%-` trims the text before a tag, `-%}`
 * the text after it, and text that becomes empty is dropped. Bodies of blocks are trimmed with
 * the flags of the tags around them.
 */
import type { Node, WS } from "./ast.js";
import { trimEnd, trimStart } from "./values.js";

/** Trims the last node if it is text; drops it if nothing is left. */
function trimLastText(nodes: Node[]): void {
  const last = nodes.at(-1);
  if (last?.t !== "text") return;
  nodes.pop();
  const trimmed = trimEnd(last.text);
  if (trimmed) nodes.push({ t: "text", text: trimmed });
}

/** Applies the `-` markers of `nodes` (and of the tags around them, `bodyWs`). */
export function removeWhitespace(nodes: Node[], bodyWs: WS | undefined): Node[] {
  const res: Node[] = [];
  let previousWasText = false;
  let trimLeftNext = bodyWs?.left ?? false;

  for (const n of nodes) {
    switch (n.t) {
      case "text": {
        previousWasText = true;
        if (!trimLeftNext) {
          res.push(n);
          continue;
        }
        trimLeftNext = false;
        const trimmed = trimStart(n.text);
        if (trimmed) res.push({ t: "text", text: trimmed });
        continue;
      }
      case "var":
      case "import":
      case "extends":
      case "include":
      case "set":
      case "break":
      case "comment":
      case "continue":
        if (previousWasText && n.ws.left) trimLastText(res);
        trimLeftNext = n.ws.right;
        break;
      case "raw": {
        if (previousWasText && n.start.left) trimLastText(res);
        previousWasText = false;
        trimLeftNext = n.end.right;
        if (n.start.right || n.end.left) {
          let text = n.text;
          if (n.start.right) text = trimStart(text);
          if (n.end.left) text = trimEnd(text);
          res.push({ ...n, text });
          continue;
        }
        break;
      }
      case "for":
      case "macro":
      case "filter":
      case "block": {
        const start = n.start;
        if (previousWasText && start.left) trimLastText(res);
        previousWasText = false;
        trimLeftNext = n.end.right;
        const inner = { left: start.right, right: n.end.left };
        if (n.t === "macro") res.push({ ...n, def: { ...n.def, body: removeWhitespace(n.def.body, inner) } });
        else if (n.t === "for") {
          // As Tera: only the loop body is trimmed; an `{% else %}` body keeps all its whitespace.
          res.push({ ...n, body: removeWhitespace(n.body, inner) });
        } else res.push({ ...n, body: removeWhitespace(n.body, inner) });
        continue;
      }
      case "if": {
        trimLeftNext = n.end.right;
        const conditions: typeof n.conditions = [];
        for (const condition of n.conditions) {
          if (condition.ws.left) {
            if (conditions.length === 0 && previousWasText) trimLastText(res);
            else {
              const last = conditions.at(-1);
              if (last) trimLastText(last.body);
            }
          }
          conditions.push({
            ...condition,
            body: removeWhitespace(condition.body, { left: condition.ws.right, right: false }),
          });
        }
        previousWasText = false;
        if (n.otherwise) {
          if (n.otherwise.ws.left) {
            const last = conditions.at(-1);
            if (last) trimLastText(last.body);
          }
          const body = removeWhitespace(n.otherwise.body, { left: n.otherwise.ws.right, right: false });
          if (n.end.left) trimLastText(body);
          res.push({ ...n, conditions, otherwise: { ws: n.otherwise.ws, body } });
          continue;
        }
        if (n.end.left) {
          const last = conditions.at(-1);
          if (last) trimLastText(last.body);
        }
        res.push({ ...n, conditions });
        continue;
      }
      case "super":
        break;
    }
    previousWasText = false;
    res.push(n);
  }

  if (bodyWs?.right) trimLastText(res);
  return res;
}
