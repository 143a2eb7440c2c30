import type { ConfigPath } from "../config/load.js";

/** A problem the plan step found, pointing into the config by path (located later, by the CLI). */
export interface PlanProblem {
  /** Where in mirrord-up.yaml; absent for problems with flags. */
  path?: ConfigPath;
  message: string;
  hint?: string;
}

/** Thrown by the plan step; it is pure, so it cannot locate problems in the file itself. */
export class PlanError extends Error {
  readonly problems: PlanProblem[];
  constructor(problems: PlanProblem[]) {
    super(problems.map((p) => p.message).join("; "));
    this.name = "PlanError";
    this.problems = problems;
  }
}
