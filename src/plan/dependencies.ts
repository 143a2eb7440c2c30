/**
 * `depends_on` as a graph: which names are unknown, which cycles there are, which services a
 * selection pulls in, who is a job, and the order to stop in. Pure: plain data in and out.
 */
import type { UpConfig } from "../config/schema.js";
import { suggest } from "../core/suggest.js";
import { type Dependency, dependenciesOf } from "./lifecycle.js";
import { PlanError, type PlanProblem } from "./problems.js";
import { selectServices } from "./select.js";

/** Service -> the services it depends on (in the order written). */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

function graphOf(config: UpConfig): Map<string, Dependency[]> {
  const graph = new Map<string, Dependency[]>();
  for (const [name, service] of Object.entries(config.services))
    graph.set(name, dependenciesOf(name, service));
  return graph;
}

/**
 * Every problem with `depends_on`, each at its entry: names that are no service (with the closest
 * one), a service that depends on itself, and each cycle, named `a → b → a`.
 */
function dependencyProblems(config: UpConfig): PlanProblem[] {
  const graph = graphOf(config);
  const names = [...graph.keys()].sort();
  const problems: PlanProblem[] = [];
  for (const [name, dependencies] of graph) {
    for (const dependency of dependencies) {
      if (dependency.service === name) {
        problems.push({ path: dependency.path, message: `\`${name}\` depends on itself` });
      } else if (!graph.has(dependency.service)) {
        const close = suggest(dependency.service, names);
        problems.push({
          path: dependency.path,
          message: `\`${name}\` depends on "${dependency.service}", which is not a service in this file`,
          hint: `${close ? `did you mean "${close}"? ` : ""}services: ${names.join(", ")}`,
        });
      }
    }
  }
  const known = new Map(
    [...graph].map(([name, deps]) => [
      name,
      deps.map((d) => d.service).filter((s) => s !== name && graph.has(s)),
    ]),
  );
  for (const cycle of findCycles(known)) {
    const [first, second] = cycle as [string, string];
    const entry = graph.get(first)?.find((d) => d.service === second);
    problems.push({
      path: entry?.path ?? ["services", first],
      message: `dependency cycle: ${cycle.join(" → ")}`,
      hint: "remove one of these depends_on entries",
    });
  }
  return problems;
}

/**
 * The services to run: the selection (`selectServices`) and what it depends on. Throws
 * `PlanError` with every `depends_on` problem first.
 */
export function selectWithDependencies(config: UpConfig, requested: readonly string[]): string[] {
  const problems = dependencyProblems(config);
  if (problems.length > 0) throw new PlanError(problems);
  return withDependencies(config, selectServices(config, requested));
}

/**
 * One cycle per group of services that depend on each other, each as a path that ends where it
 * began (`[a, b, a]`), starting at its smallest name, so the report is the same on every run.
 */
export function findCycles(graph: DependencyGraph): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = (name: string) => {
    state.set(name, "open");
    stack.push(name);
    for (const next of [...(graph.get(name) ?? [])].sort()) {
      const seen = state.get(next);
      if (seen === "open") {
        const cycle = stack.slice(stack.indexOf(next));
        const key = [...cycle].sort().join("\0");
        if (!reported.has(key)) {
          reported.add(key);
          cycles.push(rotateToSmallest(cycle));
        }
      } else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(name, "done");
  };
  for (const name of [...graph.keys()].sort()) if (!state.has(name)) visit(name);
  return cycles;
}

function rotateToSmallest(cycle: string[]): string[] {
  const smallest = [...cycle].sort()[0] as string;
  const at = cycle.indexOf(smallest);
  const rotated = [...cycle.slice(at), ...cycle.slice(0, at)];
  return [...rotated, smallest];
}

/**
 * `names` and everything they depend on, directly or not (as `docker compose up api` also starts
 * api's dependencies, even ones marked `skip: true`). Sorted.
 */
export function withDependencies(config: UpConfig, names: readonly string[]): string[] {
  const graph = graphOf(config);
  const out = new Set<string>();
  const add = (name: string) => {
    if (out.has(name)) return;
    out.add(name);
    for (const dependency of graph.get(name) ?? [])
      if (graph.has(dependency.service)) add(dependency.service);
  };
  for (const name of names) add(name);
  return [...out].sort();
}

/**
 * The order to stop `names` in: groups, dependents before what they depend on. Each group is
 * stopped (and waited for) before the next. Without dependencies: one group.
 */
export function stopGroups(graph: DependencyGraph, names: readonly string[]): string[][] {
  const inSet = new Set(names);
  const depth = new Map<string, number>();
  const depthOf = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0; // a cycle (rejected when loading; be safe anyway)
    seen.add(name);
    let d = 0;
    for (const dep of graph.get(name) ?? [])
      if (inSet.has(dep) && dep !== name) d = Math.max(d, depthOf(dep, seen) + 1);
    depth.set(name, d);
    return d;
  };
  for (const name of names) depthOf(name, new Set());
  const max = Math.max(0, ...depth.values());
  const groups: string[][] = [];
  for (let d = max; d >= 0; d--) {
    const group = names.filter((n) => depth.get(n) === d).sort();
    if (group.length > 0) groups.push(group);
  }
  return groups;
}

/**
 * Jobs: services marked `one_shot`, and services that another waits on with
 * `service_completed_successfully`. Their exit 0 is the end of their work, not of the run.
 */
export function jobNames(
  services: readonly { name: string; oneShot: boolean; dependsOn: readonly Dependency[] }[],
): Set<string> {
  const jobs = new Set(services.filter((s) => s.oneShot).map((s) => s.name));
  for (const service of services) {
    for (const dep of service.dependsOn) {
      if (dep.condition === "service_completed_successfully") jobs.add(dep.service);
    }
  }
  return jobs;
}
