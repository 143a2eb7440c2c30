/**
 * The questions mirrord-up asks (target fallback, `init`), as an interface: the flows in kube/ and
 * init/ are written against it, and cli/prompter.ts implements it with real prompts.
 */
import { UserError } from "./errors.js";

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
export class PromptCancelled extends UserError {
  constructor() {
    super({ message: "cancelled" });
    this.name = "PromptCancelled";
  }
}
