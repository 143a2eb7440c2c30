/** `mirrord-up completion bash|zsh|fish`: print a completion script made from the commands' definitions. */
import { Argument, Command } from "commander";
import { completionScript, SHELLS, type Shell } from "../completion.js";
import { writeOutput } from "../io.js";
import type { CommandContext } from "./context.js";

export function completionCommand(ctx: CommandContext): Command {
  return new Command("completion")
    .description("print a shell completion script: commands, flags, and the file's service names")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(SHELLS))
    .addHelpText(
      "after",
      `
Install:
  bash  echo 'source <(mirrord-up completion bash)' >> ~/.bashrc
  zsh   echo 'source <(mirrord-up completion zsh)' >> ~/.zshrc    (after compinit)
  fish  mirrord-up completion fish > ~/.config/fish/completions/mirrord-up.fish`,
    )
    .action(async (shell: Shell, _raw: unknown, command: Command) => {
      const program = command.parent;
      if (!program) throw new Error("the completion command is not part of the program");
      await writeOutput(ctx.io.stdout, completionScript(shell, program));
    });
}
