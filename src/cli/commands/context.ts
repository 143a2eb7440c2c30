import type { Command } from "commander";
import type { CliIO } from "../io.js";

/** What a command's handler gets from `main.ts`: the outside world, and where its exit code goes. */
export interface CommandContext {
  readonly io: CliIO;
  setExitCode(code: number): void;
}

/** A command whole: its commander definition (flags, help) with its handler attached. */
export type CommandFactory = (ctx: CommandContext) => Command;
