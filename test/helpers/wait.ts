/**
 * The one way a test waits for something to happen: poll `probe` until it gives a truthy value
 * (an async probe is awaited), and fail naming `what` (by default the probe's own source) after
 * `timeoutMs`. The bound is generous, for a loaded 2-core machine; it only limits how long a
 * broken test hangs, and no test asserts on how long the wait took.
 */
export async function waitUntil<T>(
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  what: string | (() => string) = () => String(probe),
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) {
      const description = typeof what === "function" ? what() : what;
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${description}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
