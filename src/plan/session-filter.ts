/**
 * The default split-mode filter: steal exactly the requests whose `baggage` header carries
 * `mirrord-session=<key>` as a list member. Upstream's `.*mirrord-session=bob.*` also steals
 * `bobby`'s requests and matches the marker in any header; this one does neither.
 */

/** Escapes `text` for Rust's regex crate (the same set `regex::escape` escapes). */
export function escapeRustRegex(text: string): string {
  return text.replace(/[\\.+*?()|[\]{}^$#&\-~]/g, "\\$&");
}

/**
 * `^baggage:` then optionally earlier members ending in `,`, the member `mirrord-session=<key>`
 * (optional whitespace around `=` as W3C allows), then the end, a property (`;`) or the next
 * member (`,`). mirrord matches header filters against `name: value`, case-insensitively.
 */
export function sessionHeaderFilter(key: string): string {
  return `^baggage:\\s*(?:.*,\\s*)?mirrord-session\\s*=\\s*${escapeRustRegex(key)}\\s*(?:[;,].*)?$`;
}

/** The header a developer sends to reach their session. */
export function sessionHeader(key: string): { name: string; value: string } {
  return { name: "baggage", value: `mirrord-session=${key}` };
}
