/**
 * `import()` of an ES module dependency (the Kubernetes client, the prompts). The build makes this
 * file one of its own, dist/mirrord-up-import.cjs, loaded by `require`: the bundle that calls it
 * runs from V8's code cache (src/cli/load-bundle.ts), and Node serves no `import()` in code that
 * came from a cache.
 */
export function importModule<T>(specifier: string): Promise<T> {
  return import(specifier) as Promise<T>;
}
