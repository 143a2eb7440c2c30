/**
 * The `slug` crate's `slugify` (0.1.6, Tera's `slugify` filter): ASCII letters lowercased, digits
 * kept, any other run of characters one `-`, no `-` at either end; a non-ASCII character counts as
 * deunicode's transliteration of it (slug-table.ts), e.g. `Алексей` -> `aleksei`, `東京` ->
 * `dong-jing`. Checked against the real crates: test/fixtures/slugify/.
 */
import { slugPart } from "./slug-table.js";

export function slugify(s: string): string {
  let slug = "";
  let previousIsDash = true;
  const push = (c: string): void => {
    if (c === "-") {
      if (!previousIsDash) slug += "-";
      previousIsDash = true;
    } else {
      slug += c;
      previousIsDash = false;
    }
  };
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x80) {
      if ((cp >= 0x61 && cp <= 0x7a) || (cp >= 0x30 && cp <= 0x39)) push(ch);
      else if (cp >= 0x41 && cp <= 0x5a) push(ch.toLowerCase());
      else push("-");
    } else {
      // A table part is already in slug form: letters, digits and single dashes.
      for (const c of slugPart(cp)) push(c);
    }
  }
  return slug.endsWith("-") ? slug.slice(0, -1) : slug;
}
