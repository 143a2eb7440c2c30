/**
 * Warnings for the regexes of a service that mirrord may reject as too large (its regex crate
 * refuses a compiled program over 10 MiB, counted on its 64-bit machines; mirrord-up checks in
 * 32-bit WebAssembly and cannot always tell: config/rust-regex.ts). A regex that is surely too
 * large is already an error of the config; one that surely fits has no warning.
 */
import { fancyRegexSizeWarning, filterRegexSizeWarning } from "../config/rust-regex.js";
import type { HttpFilterConfig, ServiceConfig } from "../config/schema.js";

/** `<where>: <warning>` for each regex mirrord will compile: the filter's when it is used, `env.mapping` keys. */
export function regexSizeWarnings(service: ServiceConfig, filter: HttpFilterConfig | undefined): string[] {
  const found: string[] = [];
  const check = (where: string, warning: string | undefined) => {
    if (warning) found.push(`${where}: ${warning}`);
  };
  if (filter?.header_filter !== undefined)
    check("http_filter.header_filter", filterRegexSizeWarning(filter.header_filter));
  if (filter?.path_filter !== undefined)
    check("http_filter.path_filter", filterRegexSizeWarning(filter.path_filter));
  if (filter?.body_filter !== undefined)
    check("http_filter.body_filter.matches", fancyRegexSizeWarning(filter.body_filter.matches));
  for (const kind of ["all_of", "any_of"] as const) {
    for (const [index, entry] of (filter?.[kind] ?? []).entries()) {
      const where = `http_filter.${kind}[${index}]`;
      if ("header" in entry) check(`${where}.header`, filterRegexSizeWarning(entry.header));
      if ("path" in entry) check(`${where}.path`, filterRegexSizeWarning(entry.path));
      if ("matches" in entry) check(`${where}.matches`, fancyRegexSizeWarning(entry.matches));
    }
  }
  for (const pattern of Object.keys(service.env?.mapping ?? {}))
    check(`env.mapping key ${JSON.stringify(pattern)}`, fancyRegexSizeWarning(pattern));
  return found;
}
