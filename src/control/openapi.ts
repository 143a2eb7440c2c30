/**
 * The OpenAPI 3.1 document of the control API, generated from the contract (`contract.ts`):
 * `npm run openapi` writes it to docs/control-api.openapi.json, and test/control-contract checks
 * that the committed file is what this gives.
 */
import { API_VERSION, ROUTES, type RouteContract, SCHEMAS } from "./contract.js";
import type { JsonSchema } from "./schema.js";

const REF = "#/components/schemas/";

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, route] of Object.entries(ROUTES) as [string, RouteContract][]) {
    paths[route.path] = { [route.method.toLowerCase()]: operation(name, route) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "mirrord-up control API",
      version: String(API_VERSION),
      description: [
        "What a running `mirrord-up` answers on its control socket (a Unix socket in its runtime directory, one per",
        "config file, guarded by the directory's permissions) and, for the dashboard, on loopback HTTP behind the",
        "run's token. HTTP/1.1, JSON bodies; every POST says `Content-Type: application/json`.",
        "",
        `The version is \`api\` in ${ROUTES.info.path} (answered there by every version) and the paths' prefix.`,
        "Objects may carry fields not listed here: clients ignore them. Streams are NDJSON: one JSON value per",
        "line, the route's items, then one EndFrame; a stream without an EndFrame was cut (mirrord-up went away).",
        "",
        "Generated from src/control/contract.ts by `npm run openapi`; do not edit by hand.",
      ].join("\n"),
      license: { name: "MIT", identifier: "MIT" },
    },
    paths,
    components: {
      schemas: Object.fromEntries(
        Object.entries(SCHEMAS).map(([name, schema]) => [name, withRefs(schema, name)]),
      ),
      securitySchemes: {
        bearerToken: {
          type: "http",
          scheme: "bearer",
          description:
            "The run's token, on the dashboard's loopback listener only (the Unix socket needs none).",
        },
        tokenHeader: {
          type: "apiKey",
          in: "header",
          name: "X-Mirrord-Up-Token",
          description: "The same token.",
        },
      },
    },
  };
}

function operation(name: string, route: RouteContract): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  if (route.stream) {
    responses["200"] = {
      description: "An NDJSON stream: the items, one per line, then one EndFrame.",
      content: {
        "application/x-ndjson": {
          schema: { oneOf: [withRefs(route.response), { $ref: `${REF}EndFrame` }] },
        },
      },
    };
  } else {
    responses["200"] = { description: "Done.", content: json(route.response) };
  }
  if (route.refused)
    responses["422"] = { description: "Understood, but refused.", content: json(route.refused) };
  responses.default = {
    description: "A refused request (4xx) or a bug (5xx).",
    content: json(SCHEMAS.ErrorResponse),
  };
  return {
    operationId: name,
    summary: route.summary,
    "x-mirrord-up-listener": route.listener,
    security: security(route.listener),
    ...(route.query && {
      parameters: Object.entries(route.query).map(([param, q]) => ({
        name: param,
        in: "query",
        description: q.description,
        schema: q.repeated ? { type: "array", items: q.schema } : q.schema,
        ...(q.repeated && { style: "form", explode: true }),
      })),
    }),
    ...(route.request && { requestBody: { required: false, content: json(route.request) } }),
    responses,
  };
}

/** Who may call: on the socket anyone who can open it; on the loopback listener, with the token. */
function security(listener: RouteContract["listener"]): Record<string, string[]>[] {
  if (listener === "socket") return [];
  const token: Record<string, string[]>[] = [{ bearerToken: [] }, { tokenHeader: [] }];
  return listener === "dashboard" ? token : [...token, {}];
}

function json(schema: JsonSchema): Record<string, unknown> {
  return { "application/json": { schema: withRefs(schema) } };
}

/** `schema` with every message it holds (other than `self`) replaced by a `$ref` to it. */
function withRefs(schema: JsonSchema, self?: string): unknown {
  const named = Object.entries(SCHEMAS).find(([, s]) => s === schema)?.[0];
  if (named && named !== self) return { $ref: `${REF}${named}` };
  const copy: Record<string, unknown> = { ...schema };
  if (schema.properties) {
    copy.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, withRefs(v)]));
  }
  if (schema.items) copy.items = withRefs(schema.items);
  return copy;
}
