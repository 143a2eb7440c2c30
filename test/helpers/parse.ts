import { parse } from "yaml";
import { type UpConfig, upConfigSchema } from "../../src/config/schema.js";

/** Parses YAML text through the real schema (no templating, no file). */
export function parseConfig(text: string): UpConfig {
  return upConfigSchema.parse(parse(text));
}
