/** `mirrord-up schema`: the JSON Schema of mirrord-up.yaml, for editors. */
import { Command } from "commander";
import type { CommandContext } from "./context.js";

export function schemaCommand(ctx: CommandContext): Command {
  return new Command("schema")
    .description("print the JSON Schema (draft-07) of mirrord-up.yaml, for editors")
    .action(async () => {
      const { runSchemaCommand } = await import("../heavy.js");
      ctx.setExitCode(await runSchemaCommand(ctx.io));
    });
}
