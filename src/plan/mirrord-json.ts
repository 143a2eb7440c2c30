/**
 * The exact bytes handed to `mirrord exec -f`. mirrord renders that file as a Tera template
 * again, so no `{{`, `{%` or `{#` may survive: every `{` inside a JSON string is written as
 * `\u007b`, which Tera leaves alone and JSON decodes back to `{`.
 */

const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;

/** Serializes a mirrord config as pretty JSON that survives mirrord's template pass. */
export function renderMirrordJson(config: unknown): string {
  return `${JSON.stringify(config, null, 2).replace(JSON_STRING, (literal) => literal.replace(/\{/g, "\\u007b"))}\n`;
}
