import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitShellWords } from "../src/init/shell-words.js";

const words = (line: string) => {
  const r = splitShellWords(line);
  assert.ok(r.ok, r.ok ? "" : r.error);
  return r.words;
};

describe("shell-like command splitting", () => {
  it("splits on whitespace", () =>
    assert.deepEqual(words("  node  app.js --port 80 "), ["node", "app.js", "--port", "80"]));
  it("keeps quoted spaces", () =>
    assert.deepEqual(words(`node "my app.js" --flag`), ["node", "my app.js", "--flag"]));
  it("single quotes are literal", () =>
    assert.deepEqual(words(`echo 'a "b" \\c $HOME'`), ["echo", `a "b" \\c $HOME`]));
  it('double quotes honour \\" and \\\\', () =>
    assert.deepEqual(words(`echo "a \\"b\\" c\\\\d \\x"`), ["echo", `a "b" c\\d \\x`]));
  it("a backslash escapes outside quotes", () =>
    assert.deepEqual(words(`ls my\\ dir a\\"b`), ["ls", "my dir", 'a"b']));
  it("adjacent quoted parts join into one word", () =>
    assert.deepEqual(words(`--name="a b"'c'd`), ["--name=a bcd"]));
  it("empty quotes make an empty word", () => assert.deepEqual(words(`printf ""`), ["printf", ""]));
  it("nothing is expanded", () =>
    assert.deepEqual(words("echo $HOME ~ *.js"), ["echo", "$HOME", "~", "*.js"]));
  it("an unclosed quote is an error", () => {
    assert.deepEqual(splitShellWords(`node "app.js`), { ok: false, error: "unclosed double quote" });
    assert.deepEqual(splitShellWords(`node 'app.js`), { ok: false, error: "unclosed single quote" });
  });
});
