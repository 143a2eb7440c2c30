/** The one duration formatter: status lines, `ps`, `config` and the dashboard read the same text. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDuration, parseDuration } from "../src/text/duration.js";

describe("formatDuration", () => {
  it("says milliseconds below a second, tenths below a minute, then two units", () => {
    const cases: [number, string][] = [
      [0, "0ms"],
      [850, "850ms"],
      [999.6, "1s"],
      [1000, "1s"],
      [2100, "2.1s"],
      [12_345, "12.3s"],
      [59_960, "1m"],
      [90_000, "1m30s"],
      [3_600_000, "1h"],
      [7_440_000, "2h4m"],
    ];
    for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, `${ms} ms`);
  });

  it("counts whole seconds for ages, so a fresh start is 0s, not milliseconds", () => {
    assert.equal(formatDuration(450, { wholeSeconds: true }), "0s");
    assert.equal(formatDuration(-20, { wholeSeconds: true }), "0s");
    assert.equal(formatDuration(45_900, { wholeSeconds: true }), "45s");
    assert.equal(formatDuration(754_000, { wholeSeconds: true }), "12m34s");
  });

  it("prints what mirrord-up.yaml reads back as the same duration (config's output)", () => {
    for (const ms of [100, 250, 1000, 1500, 30_000, 60_000, 90_000, 3_600_000, 5_400_000]) {
      assert.equal(parseDuration(formatDuration(ms)), ms, formatDuration(ms));
    }
  });
});
