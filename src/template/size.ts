/**
 * The size of a value as if no part of it were shared: `[x, x]` holds x twice. A template can
 * share a value cheaply (`{% set x = [x, x] %}` doubles it in one step), but printing, serialising
 * or comparing it walks every copy, so that is the size the renderer bounds and charges for.
 * Sizes of lists and objects are remembered, so that each is measured once however often it is
 * shared.
 */
import { isArray, type Value } from "./values.js";

export interface ValueSize {
  /** List items and object entries, nested ones included. */
  items: number;
  /** Characters (UTF-16 units) of the strings and object keys. */
  chars: number;
}

const measured = new WeakMap<object, ValueSize>();
const LEAF: ValueSize = { items: 0, chars: 0 };

export function sizeOf(v: Value): ValueSize {
  if (typeof v === "string") return { items: 0, chars: v.length };
  if (v === null || typeof v !== "object") return LEAF;
  const known = measured.get(v);
  if (known) return known;
  let items = 0;
  let chars = 0;
  if (isArray(v)) {
    items = v.length;
    for (const item of v) {
      const inner = sizeOf(item);
      items += inner.items;
      chars += inner.chars;
    }
  } else {
    items = v.size;
    for (const [key, item] of v) {
      const inner = sizeOf(item);
      items += inner.items;
      chars += key.length + inner.chars;
    }
  }
  const size = { items, chars };
  measured.set(v, size);
  return size;
}

/** The work of one walk over `v` (printing, serialising, comparing): a unit per item and per 16 characters. */
export function walkCost(v: Value): number {
  const { items, chars } = sizeOf(v);
  return 1 + items + (chars >> 4);
}
