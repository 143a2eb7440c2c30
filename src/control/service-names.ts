/** What a request naming services the run does not have is told: the first one's closest name, and the run's names. */
import { suggest } from "../core/suggest.js";

export function unknownServices(
  names: readonly string[],
  known: readonly string[],
): { error: string; hint: string } | undefined {
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length === 0) return undefined;
  const close = suggest(unknown[0] as string, known);
  return {
    error: `unknown service${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `"${n}"`).join(", ")}`,
    hint: `${close ? `did you mean "${close}"? ` : ""}services of this run: ${known.join(", ")}`,
  };
}
