/**
 * What a non-ASCII character adds to a slug, from the `deunicode` crate's table (1.6.2, as Tera's
 * `slug` 0.1.6 uses it): deunicode's ASCII for the character with slug's rules already applied
 * (lowercase letters and digits, any other run one `-`). The table, slug-table.br, is generated
 * from the real crate (test/fixtures/slugify/generate.sh) and read on first use: ~90 KB of Brotli,
 * so text that is all ASCII never loads it. The build copies it beside the bundle.
 */
import { readFileSync } from "node:fs";
import { nodeZlib } from "../text/lazy-builtins.js";

interface Table {
  /** First code point of each run, ascending; a run is `counts[i]` characters with `parts[i]`. */
  firsts: number[];
  counts: number[];
  parts: string[];
}

let table: Table | undefined;

/**
 * The file has one line per stretch of consecutive code points: `<first, base 36>:` then one
 * entry per run, comma-separated, `<part>` or `<part>*<count, base 36>`.
 */
function load(): Table {
  const text = nodeZlib()
    .brotliDecompressSync(readFileSync(new URL("./slug-table.br", import.meta.url)))
    .toString("latin1");
  const loaded: Table = { firsts: [], counts: [], parts: [] };
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    let next = Number.parseInt(line.slice(0, colon), 36);
    for (const entry of line.slice(colon + 1).split(",")) {
      const star = entry.indexOf("*");
      const count = star < 0 ? 1 : Number.parseInt(entry.slice(star + 1), 36);
      loaded.firsts.push(next);
      loaded.counts.push(count);
      loaded.parts.push(star < 0 ? entry : entry.slice(0, star));
      next += count;
    }
  }
  return loaded;
}

/** What the character with code point `cp` (>= 0x80) adds to a slug; `-` when deunicode does not know it. */
export function slugPart(cp: number): string {
  table ??= load();
  const { firsts, counts, parts } = table;
  let low = 0;
  let high = firsts.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const first = firsts[mid] as number;
    if (cp < first) high = mid - 1;
    else if (cp >= first + (counts[mid] as number)) low = mid + 1;
    else return parts[mid] as string;
  }
  return "-";
}
