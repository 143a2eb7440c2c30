/**
 * Seeded randomness for tests, so that a failure can be replayed: each randomised test draws its
 * numbers from `seededRandom(t)`, which prints its seed as a test diagnostic; `SEED=<n> npm test`
 * (or `node --import tsx --test <file>`) runs it again with that seed. Without SEED the seed is
 * fresh each run, so repeated runs cover more cases.
 */
import { randomInt } from "node:crypto";
import type { TestContext } from "node:test";

/** The seed of this run: `SEED` from the environment, else a fresh one (shared by the file). */
const RUN_SEED = seedFromEnvironment(process.env.SEED) ?? randomInt(2 ** 31);

function seedFromEnvironment(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new Error(`SEED must be a whole number ≥ 0, not "${text}"`);
  return seed;
}

/** mulberry32: small, fast and well spread over [0, 1); enough to pick test inputs. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A generator of numbers in [0, 1) for one test; its seed is printed with the test's result. */
export function seededRandom(t: TestContext): { next: () => number; seed: number } {
  t.diagnostic(`SEED=${RUN_SEED} replays this test`);
  return { next: mulberry32(RUN_SEED), seed: RUN_SEED };
}

/**
 * Long stress loops (hundreds of random kills, big random inputs) run in full under
 * `npm run test:stress` (MIRRORD_UP_STRESS=1); `npm test` runs `short` of them, still seeded.
 */
export function stressCount(full: number, short: number): number {
  return process.env.MIRRORD_UP_STRESS === "1" ? full : short;
}
