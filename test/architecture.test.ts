/**
 * Rooms and their order: a module imports only from its own room or a lower one, types included
 * (CONTRIBUTING.md, "Where things go"). The dashboard is the browser client: it reads the floor
 * and the control API's types, and nothing imports it.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** Lowest first; rooms in one entry are one floor and may import each other. */
const ORDER: readonly (readonly string[])[] = [
  ["core", "text"],
  ["template"],
  ["config"],
  ["plan"],
  ["kube"],
  ["run"],
  ["control"],
  ["init"],
  ["cli"],
];
/** The dashboard's own rule: what it may import, and only types from the control API's rooms. */
const DASHBOARD = { room: "dashboard", anything: ["core", "text"], typesOnly: ["run", "control"] };

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every relative module specifier of `file`: imports, `export … from`, `import()` and `import("…").T`. */
function importsOf(file: string, text: string): Import[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const add = (specifier: ts.Node | undefined, typeOnly: boolean) => {
    if (!specifier || !ts.isStringLiteralLike(specifier) || !specifier.text.startsWith(".")) return;
    const to = resolve(dirname(file), specifier.text).replace(/\.js$/, ".ts");
    found.push({ from: file, to, typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const allTypes =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, allTypes);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function roomOf(path: string): string {
  const [room] = relative(src, path).split(/[\\/]/);
  return room ?? "";
}

function floorOf(room: string): number {
  return ORDER.findIndex((floor) => floor.includes(room));
}

/** Why `imp` breaks the order, or undefined when it may be. */
function violation(imp: Import): string | undefined {
  const from = roomOf(imp.from);
  const to = roomOf(imp.to);
  if (from === to) return undefined;
  const what = `${relative(root, imp.from)} imports ${relative(root, imp.to)}`;
  if (to === DASHBOARD.room) return `${what}: nothing imports the dashboard (the browser client)`;
  if (from === DASHBOARD.room) {
    if (DASHBOARD.anything.includes(to)) return undefined;
    if (DASHBOARD.typesOnly.includes(to) && imp.typeOnly) return undefined;
    return `${what}: the dashboard takes only types from ${DASHBOARD.typesOnly.join("/")}, and code from the floor`;
  }
  const a = floorOf(from);
  const b = floorOf(to);
  if (a < 0 || b < 0) return `${what}: ${a < 0 ? from : to}/ has no place in the order of rooms`;
  return b > a ? `${what}: ${from}/ is below ${to}/` : undefined;
}

describe("the rooms of src/", () => {
  it("import only from their own room or a lower one, types included", () => {
    const problems = sourceFiles(src)
      .flatMap((file) => importsOf(file, readFileSync(file, "utf8")))
      .map(violation)
      .filter((p) => p !== undefined);
    assert.deepEqual(problems, []);
  });

  it("every folder of src/ has its place in the order", () => {
    const rooms = readdirSync(src, { withFileTypes: true }).filter((e) => e.isDirectory());
    const unplaced = rooms.map((e) => e.name).filter((r) => r !== DASHBOARD.room && floorOf(r) < 0);
    assert.deepEqual(unplaced, []);
  });

  it("sees every kind of import: type-only, export-from, dynamic and import types", () => {
    const file = join(src, "run", "x.ts");
    const text = [
      'import type { Colors } from "../cli/a.js";',
      'export { b } from "../cli/b.js";',
      'const c = await import("../cli/c.js");',
      'let d: import("../cli/d.js").D;',
      'import { type E } from "../config/e.js";',
    ].join("\n");
    const found = importsOf(file, text);
    assert.deepEqual(
      found.map((i) => [relative(src, i.to), i.typeOnly]),
      [
        ["cli/a.ts", true],
        ["cli/b.ts", false],
        ["cli/c.ts", false],
        ["cli/d.ts", true],
        ["config/e.ts", true],
      ],
    );
    assert.equal(found.filter((i) => violation(i) !== undefined).length, 4);
  });
});
