/**
 * `slugify` as Tera 1.20.1 does it (the `slug` crate 0.1.6 over `deunicode` 1.6.2): every text of
 * test/fixtures/slugify/expected.jsonl, which the real crates slugified (see the README there),
 * through the template filter.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { renderTera } from "../src/template/index.js";

interface Case {
  section: string;
  text: string;
  slug: string;
}

function readCases(): Case[] {
  const cases: Case[] = [];
  let section = "";
  const lines = readFileSync(new URL("./fixtures/slugify/expected.jsonl", import.meta.url), "utf8").split(
    "\n",
  );
  for (const line of lines) {
    if (line.startsWith("// ")) section = line.slice(3);
    else if (line.trim() !== "")
      cases.push({ section, ...(JSON.parse(line) as { text: string; slug: string }) });
  }
  return cases;
}

function slugified(text: string): string {
  const result = renderTera("{{ text | slugify }}", { text });
  assert.ok(result.ok, JSON.stringify(result));
  return result.text;
}

describe("slugify transliterates as Tera does (slug 0.1.6, deunicode 1.6.2)", () => {
  const cases = readCases();
  const sections = [...new Set(cases.map((c) => c.section))];

  it("the corpus covers at least 15 scripts besides emoji, ZWJ sequences, combining marks and astral characters", () => {
    assert.ok(cases.length >= 150, `${cases.length} cases`);
    for (const section of ["emoji", "ZWJ sequences", "combining marks", "astral-plane characters"])
      assert.ok(sections.includes(section), section);
  });

  for (const section of sections) {
    it(section, () => {
      const wrong = cases
        .filter((c) => c.section === section)
        .map((c) => ({ text: c.text, expected: c.slug, got: slugified(c.text) }))
        .filter((c) => c.got !== c.expected);
      assert.deepEqual(wrong, []);
    });
  }

  it("a branch named `фича/логин` gives the target upstream gives", () => {
    const result = renderTera("deployment/api-{{ git_branch | slugify }}", { git_branch: "фича/логин" });
    assert.deepEqual(result, { ok: true, text: "deployment/api-ficha-login" });
  });
});
