/**
 * The questions mirrord-up asks (target fallback, `init`), behind a small interface so that the
 * flows are written once and driven in tests through the real prompts on in-memory streams.
 * Prompts render on stderr: stdout stays clean for `config`'s output.
 */

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
}

export interface Prompter {
  select<T>(message: string, choices: Choice<T>[], defaultValue?: T): Promise<T>;
  confirm(message: string, defaultValue: boolean): Promise<boolean>;
  input(
    message: string,
    options?: { default?: string; validate?: (value: string) => string | true },
  ): Promise<string>;
}

/** Thrown when the user presses Ctrl-C in a prompt. */
export class PromptCancelled extends Error {
  constructor() {
    super("cancelled");
    this.name = "PromptCancelled";
  }
}

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
      const { select } = await import("@inquirer/prompts");
      return cancellable(() =>
        select({ message, choices, default: defaultValue, pageSize: 12 }, context as never),
      );
    },
    async confirm(message, defaultValue) {
      const { confirm } = await import("@inquirer/prompts");
      return cancellable(() => confirm({ message, default: defaultValue }, context as never));
    },
    async input(message, options = {}) {
      const { input } = await import("@inquirer/prompts");
      return cancellable(() =>
        input({ message, default: options.default, validate: options.validate }, context as never),
      );
    },
  };
}
