/**
 * The `slug` crate's `slugify`: lowercase ASCII letters and digits, runs of anything else become
 * one `-`, no `-` at either end. Non-ASCII characters go through the `deunicode` crate there; here
 * letters with accents lose them (Unicode decomposition) and a few common letters are spelled
 * out, which covers Latin-script text. Other scripts become `-` (deunicode transliterates them).
 */
const SPELLED: Readonly<Record<string, string>> = {
  ß: "ss",
  æ: "ae",
  Æ: "AE",
  œ: "oe",
  Œ: "OE",
  ø: "o",
  Ø: "O",
  đ: "d",
  Đ: "D",
  ð: "d",
  Ð: "D",
  ł: "l",
  Ł: "L",
  þ: "th",
  Þ: "TH",
  ı: "i",
};

function asciiOf(ch: string): string {
  const spelled = SPELLED[ch];
  if (spelled) return spelled;
  const stripped = ch.normalize("NFKD").replace(/\p{M}/gu, "");
  return /^[\x20-\x7e]+$/.test(stripped) ? stripped : "-";
}

export function slugify(s: string): string {
  let slug = "";
  let previousIsDash = true;
  for (const ch of s) {
    for (const c of ch.charCodeAt(0) < 0x80 ? ch : asciiOf(ch)) {
      if (/[a-z0-9]/.test(c)) {
        slug += c;
        previousIsDash = false;
      } else if (/[A-Z]/.test(c)) {
        slug += c.toLowerCase();
        previousIsDash = false;
      } else if (!previousIsDash) {
        slug += "-";
        previousIsDash = true;
      }
    }
  }
  return slug.endsWith("-") ? slug.slice(0, -1) : slug;
}
