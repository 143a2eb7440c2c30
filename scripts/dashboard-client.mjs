// Builds the dashboard's web client (src/dashboard/) in memory: the page, one script, one style
// sheet. scripts/build.mjs embeds the result in dist/mirrord-up-heavy.cjs; run from source (tsx),
// src/control/dashboard-assets.ts calls this instead. Nothing is written to disk.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = (name) => fileURLToPath(new URL(`../src/dashboard/${name}`, import.meta.url));

/** @returns {Promise<{html: string, js: string, css: string}>} */
export async function buildDashboardClient() {
  // MIRRORD_UP_DASHBOARD_DEBUG=1: readable names (for a profiler); the shipped client is minified.
  const minify = !process.env.MIRRORD_UP_DASHBOARD_DEBUG;
  const common = { bundle: true, write: false, minify, legalComments: "none", logLevel: "warning" };
  const [js, css] = await Promise.all([
    build({
      ...common,
      entryPoints: [here("main.ts")],
      format: "iife",
      target: "es2022",
      platform: "browser",
    }),
    build({ ...common, entryPoints: [here("app.css")], target: ["chrome110", "firefox110", "safari16"] }),
  ]);
  // The page is small and static: only the indentation goes.
  const html = readFileSync(here("index.html"), "utf8").replace(/\n\s+/g, "\n");
  return { html, js: js.outputFiles[0].text, css: css.outputFiles[0].text };
}
