// Produces test/fixtures/mirrord-schema.json from mirrord's full JSON Schema (the repository's
// mirrord-schema.json): the same schema without its `description` and `title` annotations, which
// are most of its size and play no part in validation.
//
//   node scripts/strip-mirrord-schema.mjs <path/to/mirrord-schema.json> [out]
//
// Values are never touched: `const`, `enum`, `default` and `examples` are copied as they are, so
// a `description` key inside a value (or a property named `description`, whose value is a schema
// object, not a string) survives.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ANNOTATIONS = new Set(["description", "title"]);
const VALUES = new Set(["const", "enum", "default", "examples"]);

function strip(node) {
  if (Array.isArray(node)) return node.map(strip);
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (ANNOTATIONS.has(key) && typeof value === "string") continue;
    out[key] = VALUES.has(key) ? value : strip(value);
  }
  return out;
}

const [input, output = fileURLToPath(new URL("../test/fixtures/mirrord-schema.json", import.meta.url))] =
  process.argv.slice(2);
if (!input) {
  console.error("usage: node scripts/strip-mirrord-schema.mjs <mirrord-schema.json> [out]");
  process.exit(2);
}
const schema = JSON.parse(readFileSync(input, "utf8"));
writeFileSync(output, `${JSON.stringify(strip(schema), null, 2)}\n`);
// Laid out as biome lays out JSON, so that `npm run lint` accepts the committed file.
const biome = spawnSync("npx", ["biome", "format", "--write", output], { stdio: "inherit" });
process.exit(biome.status ?? 1);
