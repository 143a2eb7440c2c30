/**
 * Checks an answer of the control API against the committed OpenAPI document
 * (docs/control-api.openapi.json) with ajv: what the tests read raw (the client checks what it
 * reads itself) is held to the published contract, so the server and the document cannot drift.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { REPO_ROOT } from "./paths.js";

export const OPENAPI_FILE = join(REPO_ROOT, "docs", "control-api.openapi.json");

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

let loaded: { ajv: Ajv2020; paths: Record<string, Record<string, Operation>> } | undefined;

function openApi() {
  if (loaded) return loaded;
  const doc = JSON.parse(readFileSync(OPENAPI_FILE, "utf8")) as {
    paths: Record<string, Record<string, Operation>>;
  };
  // Not strict: the document's own keys (openapi, paths, ...) are not JSON Schema keywords.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(doc, "openapi");
  loaded = { ajv, paths: doc.paths };
  return loaded;
}

const pointer = (...parts: string[]) =>
  parts.map((p) => `/${p.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

/** Fails the test when `body` (the whole text) is not what the document says `method url` answers with `status`. */
export function checkAnswer(
  method: string,
  url: string,
  status: number,
  contentType: string,
  body: string,
): void {
  const { ajv, paths } = openApi();
  const path = new URL(url, "http://x").pathname;
  const op = paths[path]?.[method.toLowerCase()];
  // An unknown route or method is answered with an error body.
  const key = !op ? "default" : op.responses[String(status)] ? String(status) : "default";
  const type = contentType.split(";")[0]?.trim() ?? "";
  const location = op
    ? pointer("paths", path, method.toLowerCase(), "responses", key, "content", type, "schema")
    : pointer("components", "schemas", "ErrorResponse");
  if (op) assert.ok(op.responses[key]?.content?.[type], `${method} ${path} ${status}: undocumented ${type}`);
  const validate = ajv.getSchema(`openapi#${location}`);
  assert.ok(validate, `${method} ${path}: no schema at ${location}`);
  const values =
    type === "application/x-ndjson"
      ? body
          .split("\n")
          .slice(0, -1) // the last piece: empty, or a line the test did not read to its end
          .filter((line) => line !== "")
          .map((line) => JSON.parse(line) as unknown)
      : [JSON.parse(body) as unknown];
  for (const value of values) {
    assert.ok(
      validate(value),
      `${method} ${path} ${status} breaks the contract: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value)}`,
    );
  }
}
