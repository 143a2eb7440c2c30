/**
 * The `Prompter` (core/prompter.ts) the CLI hands to the flows: @inquirer/prompts, which tests
 * drive on in-memory streams.
 * Prompts render on stderr: stdout stays clean for `config`'s output.
 */

import { importModule } from "../core/import-module.js";
import { PromptCancelled, type Prompter } from "../core/prompter.js";

type Prompts = typeof import("@inquirer/prompts");

export interface PromptStreams {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/** Prompts from @inquirer/prompts (loaded on first use) on the given streams. */
export function inquirerPrompter(streams: PromptStreams): Prompter {
  const context = { input: streams.input, output: streams.output, clearPromptOnDone: false };
  const cancellable = async <T>(ask: () => Promise<T>): Promise<T> => {
    try {
      return await ask();
    } catch (error) {
      if ((error as Error).name === "ExitPromptError" || (error as Error).name === "AbortPromptError")
        throw new PromptCancelled();
      throw error;
    }
  };
  return {
    async select(message, choices, defaultValue) {
      const { select } = await importModule<Prompts>("@inquirer/prompts");
      return cancellable(() =>
        select({ message, choices, default: defaultValue, pageSize: 12 }, context as never),
      );
    },
    async confirm(message, defaultValue) {
      const { confirm } = await importModule<Prompts>("@inquirer/prompts");
      return cancellable(() => confirm({ message, default: defaultValue }, context as never));
    },
    async input(message, options = {}) {
      const { input } = await importModule<Prompts>("@inquirer/prompts");
      return cancellable(() =>
        input({ message, default: options.default, validate: options.validate }, context as never),
      );
    },
  };
}
