/**
 * Tera's `dotted_pointer` (context.rs): how a path such as `a.b`, `a.0` or `a."b.c"` finds a value
 * inside another, for variables and for the `attribute` of filters (`sort`, `map`, ...). Its
 * tokenizer has quirks (a `'` inside a `"..."` key ends the token, `]` only shifts the start of
 * the next one); they are kept, so that the same keys are found and the same are not.
 */
import { BuiltinError } from "./args.js";
import { isArray, isObject, type Value } from "./values.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The tokens Tera's `PointerMachina` yields for `pointer` (it slices bytes by character counts). */
function pointerTokens(pointer: string): string[] {
  const bytes = encoder.encode(pointer);
  const slice = (from: number, to: number): string => {
    try {
      return decoder.decode(bytes.subarray(from, Math.max(from, to)));
    } catch {
      throw new BuiltinError("Tera cannot look up this key (it crashes on it)");
    }
  };
  const tokens: string[] = [];
  let single = false;
  let dual = false;
  let escaped = false;
  let last = 0;
  next: while (last <= bytes.length) {
    const forwarded = Array.from(slice(last, bytes.length));
    let offset = 0;
    for (let i = 0; i < forwarded.length; i++) {
      const ch = forwarded[i]!;
      const quote = ch === '"' || ch === "'";
      if (quote && !escaped) {
        if (ch === '"') dual = !dual;
        else single = !single;
        if (i === offset) offset++;
        else {
          const result = slice(last + offset, last + i);
          last += i + 1;
          if (result) {
            tokens.push(result);
            escaped = false;
            continue next;
          }
        }
      } else if (ch === "\\") {
        escaped = true;
        continue;
      } else if (ch === "[" && !single && !dual && !escaped) {
        const result = slice(last + offset, last + i);
        last += i + 1;
        if (result) {
          tokens.push(result);
          escaped = false;
          continue next;
        }
      } else if (ch === "]" && !single && !dual && !escaped) offset++;
      else if (ch === "." && !single && !dual && !escaped) {
        if (i === offset) offset++;
        else {
          const result = slice(last + offset, last + i);
          last += i + 1;
          if (result) {
            tokens.push(result);
            escaped = false;
            continue next;
          }
        }
      }
      escaped = false;
    }
    if (last + offset < bytes.length) tokens.push(slice(last + offset, bytes.length));
    break;
  }
  return tokens;
}

/** Tera's `dotted_pointer`: the value at `pointer` inside `value` ("" is the value itself). */
export function dottedPointer(value: Value, pointer: string): Value | undefined {
  if (pointer === "") return value;
  let target: Value | undefined = value;
  for (const raw of pointerTokens(pointer)) {
    const token = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (target === undefined) return undefined;
    if (isObject(target)) target = target.get(token);
    else if (isArray(target)) target = /^(0|[1-9]\d*)$/.test(token) ? target[Number(token)] : undefined;
    else return undefined;
  }
  return target;
}
