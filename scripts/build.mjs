// Builds the installed program: two CommonJS bundles of src/ and the small dependencies.
//   dist/mirrord-up.cjs        the CLI and the control commands (ps, logs, restart, ...)
//   dist/mirrord-up-heavy.cjs  what reads the config file and runs it (src/cli/heavy.ts): YAML,
//                              zod, the template engine, the runner, the dashboard
// and dist/mirrord-up-errors.cjs (src/core/errors.ts), which both require: one UserError class,
// so `instanceof` holds for an error thrown in one bundle and caught in the other.
// The CLI loads the heavy bundle only for the commands that need it (`import("../heavy.js")` in a
// command of src/cli/commands/ becomes a require of it), so `ps` parses ~200 KB instead of
// ~0.9 MB (its round trip: bench/RESULTS.md, "Which optimisations stay"). CommonJS, because Node 20 starts a
// CommonJS program faster than an ES module one. Dependencies that are big or rarely needed stay
// external, loaded on demand from node_modules.
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { build } from "esbuild";
import { buildDashboardClient } from "./dashboard-client.mjs";

const HEAVY = "./mirrord-up-heavy.cjs";
const ERRORS = "./mirrord-up-errors.cjs";

/** src/cli/heavy.ts, as a command imports it (`import("../heavy.js")`): the other bundle, required when it runs. */
const HEAVY_SOURCE = resolve("src/cli/heavy.js");
const heavyApart = {
  name: "heavy-apart",
  setup(b) {
    b.onResolve({ filter: /(^|\/)heavy\.js$/ }, ({ path, resolveDir }) =>
      resolve(resolveDir, path) === HEAVY_SOURCE ? { path: HEAVY, external: true } : undefined,
    );
  },
};

/** src/core/errors.ts, as any module imports it: the shared file, required at run time. */
const ERRORS_SOURCE = resolve("src/core/errors.js");
const errorsShared = {
  name: "errors-shared",
  setup(b) {
    b.onResolve({ filter: /(^|\/)errors\.js$/ }, ({ path, resolveDir, kind }) =>
      kind !== "entry-point" && resolve(resolveDir, path) === ERRORS_SOURCE
        ? { path: ERRORS, external: true }
        : undefined,
    );
  },
};

/**
 * Rewrites every non-ASCII character of a bundle as a `\\uXXXX` escape. esbuild escapes them in
 * most strings, but not in comments or regular expression literals, and a single one makes V8 keep
 * the whole source as a two-byte string: 3 MB of heap for the 1.5 MB heavy bundle, for as long as
 * mirrord-up runs. The escape means the same character in a string, a template, a regular
 * expression or an identifier (and is only text in a comment); after a backslash it would not,
 * so that case stops the build.
 */
function asciiOnly(path) {
  const source = readFileSync(path, "utf8");
  const escaped = source.replace(/[^\0-\x7f]/g, (char, at) => {
    if (source[at - 1] === "\\")
      throw new Error(`${path}: a backslash before a non-ASCII character at ${at}`);
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
  });
  if (escaped !== source) writeFileSync(path, escaped);
}

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  // The modules of src/ are written as ES modules: `import.meta.url` is the bundle's own URL.
  define: { "import.meta.url": "__bundleUrl" },
  banner: { js: 'const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' },
  logLevel: "warning",
  // V8 keeps a script's whole source for as long as it runs: whitespace and syntax minified, names
  // kept (stack traces still name functions). The heavy bundle: 0.94 MB -> 0.65 MB.
  minifyWhitespace: true,
  minifySyntax: true,
};

// Built beside the bundles, then renamed over them, the CLI last (OUTPUTS' order): a test running
// bin/mirrord-up.js while another build runs never finds a file missing or half written.
const fresh = (name) => `dist/.${name}.${process.pid}`;
mkdirSync("dist", { recursive: true });
// The dashboard's page, script and style sheet, built first and embedded as strings: served from
// memory (src/control/dashboard-assets.ts), no files to find at run time.
const dashboard = await buildDashboardClient();
const OUTPUTS = ["mirrord-up-errors.cjs", "mirrord-up-heavy.cjs", "mirrord-up.cjs"];
try {
  await build({ ...common, entryPoints: ["src/core/errors.ts"], outfile: fresh(OUTPUTS[0]) });
  await build({
    ...common,
    entryPoints: ["src/cli/heavy.ts"],
    outfile: fresh(OUTPUTS[1]),
    plugins: [errorsShared],
    // The Kubernetes client and the prompts are ES modules, loaded with import() when used.
    external: ["@kubernetes/client-node", "@inquirer/prompts", "rregex"],
    define: { ...common.define, __MIRRORD_UP_DASHBOARD__: JSON.stringify(dashboard) },
  });
  await build({
    ...common,
    entryPoints: ["src/cli/main.ts"],
    outfile: fresh(OUTPUTS[2]),
    plugins: [heavyApart, errorsShared],
    // `import("./heavy.js")` as a plain require: an import() would start Node's ES module loader.
    supported: { "dynamic-import": false },
  });
  // Data the heavy bundle reads beside itself on first use (new URL("./<file>", import.meta.url)).
  copyFileSync("src/template/slug-table.br", "dist/slug-table.br");
  for (const name of OUTPUTS) asciiOnly(fresh(name));
  for (const name of OUTPUTS) renameSync(fresh(name), `dist/${name}`);
} finally {
  for (const name of OUTPUTS) rmSync(fresh(name), { force: true });
}
