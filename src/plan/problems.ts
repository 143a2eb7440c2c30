import type { ConfigPath } from "../config/load.js";
import { UserError } from "../core/errors.js";

/** A problem the plan step found, pointing into the config by path (located later, by the CLI). */
export interface PlanProblem {
  /** Where in mirrord-up.yaml; absent for problems with flags. */
  path?: ConfigPath;
  message: string;
  hint?: string;
}

/** Thrown by the plan step; it is pure, so it cannot locate problems in the file itself. */
export class PlanError extends UserError {
  readonly problems: PlanProblem[];
  constructor(problems: PlanProblem[]) {
    super(problems.map((p) => ({ message: p.message, hint: p.hint })));
    this.name = "PlanError";
    this.problems = problems;
  }
}
