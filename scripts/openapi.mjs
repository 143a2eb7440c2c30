// Writes docs/control-api.openapi.json from the contract in src/control/contract.ts.
// Run with `npm run openapi` (tsx loads the TypeScript); test/control-contract checks the result.
import { writeFileSync } from "node:fs";
import { openApiDocument } from "../src/control/openapi.ts";

writeFileSync(
  new URL("../docs/control-api.openapi.json", import.meta.url),
  `${JSON.stringify(openApiDocument(), null, 2)}\n`,
);
