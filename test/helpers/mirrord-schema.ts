/**
 * mirrord's own JSON Schema for mirrord.json, from ../shared/reference (CI lays shared/ beside
 * the clone). Missing schema is a loud failure, never a silent pass.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const MIRRORD_SCHEMA_PATH =
  process.env.MIRRORD_SCHEMA_PATH ?? join(REPO_ROOT, "..", "shared", "reference", "mirrord-schema.json");

let validator: ValidateFunction | undefined;

export function mirrordSchemaValidator(): ValidateFunction {
  if (validator) return validator;
  if (!existsSync(MIRRORD_SCHEMA_PATH)) {
    throw new Error(
      `mirrord's JSON Schema was not found at ${MIRRORD_SCHEMA_PATH}; ` +
        "these tests need ../shared/reference/mirrord-schema.json (or MIRRORD_SCHEMA_PATH) and cannot pass without it",
    );
  }
  const schema = JSON.parse(readFileSync(MIRRORD_SCHEMA_PATH, "utf8"));
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  // mirrord's schema uses formats and keywords from its Rust/Kubernetes generators.
  for (const format of [
    "int32",
    "int64",
    "ip",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "uint",
    "double",
    "float",
  ]) {
    ajv.addFormat(format, true);
  }
  ajv.addKeyword("x-kubernetes-int-or-string");
  ajv.addKeyword("x-kubernetes-preserve-unknown-fields");
  validator = ajv.compile(schema);
  return validator;
}
