/**
 * The size of a value as if no part of it were shared: `[x, x]` holds x twice. A template can
 * share a value cheaply (`{% set x = [x, x] %}` doubles it in one step), but printing, serialising
 * or comparing it walks every copy, so that is the size the renderer bounds and charges for.
 * Sizes of lists and objects are remembered, so that each is measured once however often it is
 * shared.
 */
import { isArray, type ObjectValue, type Value } from "./values.js";

export interface ValueSize {
  /** List items and object entries, nested ones included. */
  items: number;
  /** Characters (UTF-16 units) of the strings and object keys. */
  chars: number;
}

const measured = new WeakMap<object, ValueSize>();

/** The size of a list or object; leaves are counted inline, so measuring allocates only per container. */
export function sizeOf(v: readonly Value[] | ObjectValue): ValueSize {
  const known = measured.get(v);
  if (known) return known;
  let items = isArray(v) ? v.length : v.size;
  let chars = 0;
  if (!isArray(v)) for (const key of v.keys()) chars += key.length;
  for (const item of isArray(v) ? v : v.values()) {
    if (typeof item === "string") chars += item.length;
    else if (item !== null && typeof item === "object") {
      const inner = sizeOf(item);
      items += inner.items;
      chars += inner.chars;
    }
  }
  const size = { items, chars };
  measured.set(v, size);
  return size;
}

/** The work of reading a value's top level: a unit per item, or per 16 characters of a string. */
export function shallowCost(v: Value): number {
  if (typeof v === "string") return 1 + (v.length >> 4);
  if (isArray(v)) return 1 + v.length;
  if (v !== null && typeof v === "object") return 1 + v.size;
  return 1;
}

/**
 * The work of one walk over `v` (printing, serialising, comparing): a unit per item and per 16
 * characters. A string or scalar is its own top level, so only lists and objects are measured.
 */
export function walkCost(v: Value): number {
  if (v === null || typeof v !== "object") return shallowCost(v);
  const { items, chars } = sizeOf(v);
  return 1 + items + (chars >> 4);
}
