// Builds the installed program: two CommonJS bundles of src/ and the small dependencies.
//   dist/mirrord-up.cjs        the CLI and the control commands (ps, logs, restart, ...)
//   dist/mirrord-up-heavy.cjs  what reads the config file and runs it (src/cli/heavy.ts): YAML,
//                              zod, the template engine, the runner, the dashboard
// and dist/mirrord-up-errors.cjs (src/core/errors.ts), which both require: one UserError class,
// so `instanceof` holds for an error thrown in one bundle and caught in the other; and
// dist/mirrord-up-import.cjs (src/core/import-module.ts), the heavy bundle's `import()`s.
// The CLI loads the heavy bundle only for the commands that need it (`import("../heavy.js")` in a
// command of src/cli/commands/ becomes src/cli/load-bundle.ts loading it), so `ps` parses ~200 KB
// instead of ~0.9 MB (its round trip: bench/RESULTS.md, "Which optimisations stay"). The heavy
// bundle is loaded with V8's code cache, dist/mirrord-up-heavy.cjs.cache, which this build writes
// last by running `up` of a small file under the bin line's V8 flags. CommonJS, because Node 20 starts a
// CommonJS program faster than an ES module one. Dependencies that are big or rarely needed stay
// external, loaded on demand from node_modules.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { buildDashboardClient } from "./dashboard-client.mjs";

const HEAVY = "./mirrord-up-heavy.cjs";
const ERRORS = "./mirrord-up-errors.cjs";
const IMPORT = "./mirrord-up-import.cjs";

/**
 * src/cli/heavy.ts, as a command imports it (`import("../heavy.js")`): the other bundle, loaded
 * with its code cache when the command runs.
 */
const HEAVY_SOURCE = resolve("src/cli/heavy.js");
const heavyApart = {
  name: "heavy-apart",
  setup(b) {
    b.onResolve({ filter: /(^|\/)heavy\.js$/ }, ({ path, resolveDir }) =>
      resolve(resolveDir, path) === HEAVY_SOURCE ? { path: HEAVY, namespace: "heavy-apart" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "heavy-apart" }, () => ({
      contents: `const { loadBundle } = require(${JSON.stringify(resolve("src/cli/load-bundle.ts"))});
module.exports = loadBundle(require("node:path").join(__dirname, ${JSON.stringify(HEAVY)})).exports;`,
      resolveDir: resolve("."),
      loader: "js",
    }));
  },
};

/**
 * Heads a bundle with a line naming its content (load-bundle.ts offers a code cache only to the
 * bundle whose first line heads it).
 */
function nameContent(path) {
  const source = readFileSync(path, "latin1");
  const hash = createHash("sha256").update(source).digest("hex");
  writeFileSync(path, `// mirrord-up bundle sha256:${hash}\n${source}`, "latin1");
}

/** The V8 flags of the bin line (`#!/usr/bin/env -S node FLAGS`): a code cache is used only under the flags it was made with. */
function binFlags() {
  const line = readFileSync("bin/mirrord-up.js", "utf8").split("\n", 1)[0];
  const words = line.split(/\s+/);
  return words.slice(words.indexOf("node") + 1);
}

/**
 * Writes dist/mirrord-up-heavy.cjs.cache: runs `up` of one local service that echoes a rendered
 * template, under the bin line's flags, and saves what V8 compiled of the heavy bundle by its end.
 */
function writeCodeCache() {
  const dir = mkdtempSync(join(tmpdir(), "mirrord-up-build-"));
  try {
    writeFileSync(
      join(dir, "mirrord-up.yaml"),
      'services:\n  app:\n    run: {type: local, command: [sh, -c, "echo {{ key | upper }}"]}\n',
    );
    const script = `require(${JSON.stringify(resolve("dist/mirrord-up.cjs"))}).writeCodeCacheAfter(["-k", "build", "--no-color"])`;
    const run = spawnSync(process.execPath, [...binFlags(), "-e", script], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, MIRRORD_UP_RUNTIME_DIR: join(dir, "run"), NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 60_000,
    });
    if (run.status !== 0) {
      throw new Error(
        `the code cache was not written (exit ${run.status ?? run.signal}):\n${run.stdout}${run.stderr}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Modules of src/ that are files of their own in dist/, which the bundles require at run time:
 * src/core/errors.ts (one UserError class in both bundles) and src/core/import-module.ts (the
 * heavy bundle's `import()`s, which Node does not serve in code from a code cache).
 */
const SHARED = new Map([
  [resolve("src/core/errors.js"), ERRORS],
  [resolve("src/core/import-module.js"), IMPORT],
]);
const shared = {
  name: "shared",
  setup(b) {
    b.onResolve({ filter: /(^|\/)(errors|import-module)\.js$/ }, ({ path, resolveDir, kind }) => {
      const file = SHARED.get(resolve(resolveDir, path));
      return kind !== "entry-point" && file ? { path: file, external: true } : undefined;
    });
  },
};

/** The code cache holds no `import()` Node could serve: the heavy bundle must have none. */
function noImportCall(path) {
  const at = readFileSync(path, "latin1").search(/(^|[^\w$.])import\(/);
  if (at >= 0) throw new Error(`${path}: an import() at ${at}; use importModule (src/core/import-module.ts)`);
}

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
const OUTPUTS = ["mirrord-up-errors.cjs", "mirrord-up-import.cjs", "mirrord-up-heavy.cjs", "mirrord-up.cjs"];
try {
  await build({ ...common, entryPoints: ["src/core/errors.ts"], outfile: fresh(OUTPUTS[0]) });
  await build({ ...common, entryPoints: ["src/core/import-module.ts"], outfile: fresh(OUTPUTS[1]) });
  await build({
    ...common,
    entryPoints: ["src/cli/heavy.ts"],
    outfile: fresh(OUTPUTS[2]),
    plugins: [shared],
    // The Kubernetes client and the prompts are ES modules, loaded with importModule when used.
    external: ["@kubernetes/client-node", "@inquirer/prompts", "rregex"],
    define: { ...common.define, __MIRRORD_UP_DASHBOARD__: JSON.stringify(dashboard) },
  });
  await build({
    ...common,
    entryPoints: ["src/cli/main.ts"],
    outfile: fresh(OUTPUTS[3]),
    plugins: [heavyApart, shared],
    // `import("./heavy.js")` as a plain require: an import() would start Node's ES module loader.
    supported: { "dynamic-import": false },
  });
  // Data the heavy bundle reads beside itself on first use (new URL("./<file>", import.meta.url)).
  copyFileSync("src/template/slug-table.br", "dist/slug-table.br");
  for (const name of OUTPUTS) asciiOnly(fresh(name));
  noImportCall(fresh(OUTPUTS[2]));
  nameContent(fresh(OUTPUTS[2]));
  for (const name of OUTPUTS) renameSync(fresh(name), `dist/${name}`);
} finally {
  for (const name of OUTPUTS) rmSync(fresh(name), { force: true });
}
writeCodeCache();
