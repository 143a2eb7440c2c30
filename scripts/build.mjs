// Builds dist/mirrord-up.js: one ESM bundle of src/ and the small dependencies. Loading one file
// instead of ~150 modules starts about 30 ms faster (bench/RESULTS.md). Dependencies that are big
// or rarely needed stay external and are loaded on demand from node_modules.
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { build } from "esbuild";
import { buildDashboardClient } from "./dashboard-client.mjs";

// Built beside the bundle, then renamed over it: a test running bin/mirrord-up.js while another
// build runs never finds the file missing or half written.
const fresh = `dist/.mirrord-up.${process.pid}.js`;
mkdirSync("dist", { recursive: true });
// The dashboard's page, script and style sheet, built first and embedded as strings: served from
// memory (src/control/dashboard-assets.ts), no files to find at run time.
const dashboard = await buildDashboardClient();
await build({
  entryPoints: ["src/cli/main.ts"],
  outfile: fresh,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  external: ["@kubernetes/client-node", "@inquirer/prompts", "rregex"],
  // Bundled CommonJS dependencies call require() for Node built-ins.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
  define: { __MIRRORD_UP_DASHBOARD__: JSON.stringify(dashboard) },
  logLevel: "warning",
});
renameSync(fresh, "dist/mirrord-up.js");
rmSync(`${fresh}.map`, { force: true });
