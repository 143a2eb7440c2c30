/**
 * mirrord's own JSON Schema for mirrord.json: a pinned copy in test/fixtures (see its README for
 * the version), or the file named by MIRRORD_SCHEMA_PATH. A missing schema fails the tests that
 * need it (inside the test, where the runner counts it), never passes silently.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { REPO_ROOT } from "./paths.js";

export const MIRRORD_SCHEMA_PATH =
  process.env.MIRRORD_SCHEMA_PATH ?? join(REPO_ROOT, "test", "fixtures", "mirrord-schema.json");

let validator: ValidateFunction | undefined;

/** Compiles the schema on first use; call it inside a test, so that a missing file fails that test. */
export function mirrordSchemaValidator(): ValidateFunction {
  if (validator) return validator;
  if (!existsSync(MIRRORD_SCHEMA_PATH)) {
    throw new Error(
      `mirrord's JSON Schema was not found at ${MIRRORD_SCHEMA_PATH}; ` +
        "restore test/fixtures/mirrord-schema.json (see test/fixtures/README.md) or set MIRRORD_SCHEMA_PATH",
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
