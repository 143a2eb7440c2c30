/**
 * The session key: it names the developer's session, goes into the default HTTP filter and the
 * queue filters, and travels in a W3C `baggage` header, so it must be a valid baggage value.
 */
import { PlanError } from "./problems.js";

/** Where the key came from, for messages. */
export type KeySource = "--key" | "MIRRORD_KEY" | "user name";

export interface ResolvedKey {
  key: string;
  source: KeySource;
}

/** W3C baggage `value`: printable ASCII except space, `"`, `,`, `;` and `\`. */
const BAGGAGE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/;
const MAX_KEY_LENGTH = 256;

/** `--key` > `MIRRORD_KEY` > the OS user name; an invalid key is an error suggesting `--key`. */
export function resolveKey(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  username: () => string,
): ResolvedKey {
  let resolved: ResolvedKey;
  if (flag !== undefined) resolved = { key: flag, source: "--key" };
  else if (env.MIRRORD_KEY) resolved = { key: env.MIRRORD_KEY, source: "MIRRORD_KEY" };
  else {
    let name: string;
    try {
      name = username();
    } catch {
      throw new PlanError([
        {
          message: "cannot find the OS user name to use as the session key",
          hint: "pass one with --key <key>",
        },
      ]);
    }
    resolved = { key: name, source: "user name" };
  }
  const problem = checkKey(resolved.key);
  if (problem) {
    throw new PlanError([
      {
        message: `the session key ${JSON.stringify(resolved.key)} (from ${resolved.source}) ${problem}`,
        hint: "choose a key with --key, e.g. --key alice",
      },
    ]);
  }
  return resolved;
}

/** Returns why `key` is not a usable session key, or undefined when it is. */
export function checkKey(key: string): string | undefined {
  if (key.length === 0) return "is empty";
  if (key.length > MAX_KEY_LENGTH) return `is longer than ${MAX_KEY_LENGTH} characters`;
  if (!BAGGAGE_VALUE.test(key)) {
    return 'is not a valid W3C baggage value (letters, digits and punctuation other than , ; " \\ and no spaces)';
  }
  return undefined;
}
