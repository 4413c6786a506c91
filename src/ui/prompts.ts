import { InputError } from "../errors.js";

export interface Choice<T> {
  name: string;
  value: T;
  checked?: boolean;
}

export interface InputPrompt {
  message: string;
  /** The flag that answers this prompt: named in the error when a value is missing in non-interactive mode. */
  flag: string;
  default?: string;
  /** Returns an error message, or true. */
  validate?: (value: string) => string | true;
}

/**
 * Every question the CLI asks goes through this, so that non-interactive runs (--yes, CI, no TTY)
 * never hang on a prompt: they take the declared default or fail naming the flag (wrangler's dialogs).
 */
export interface Prompter {
  readonly interactive: boolean;
  input(prompt: InputPrompt): Promise<string>;
  password(prompt: Omit<InputPrompt, "default">): Promise<string>;
  confirm(prompt: { message: string; default: boolean }): Promise<boolean>;
  checkbox<T>(prompt: { message: string; flag: string; choices: Choice<T>[] }): Promise<T[]>;
}

function missing(flag: string): never {
  throw new InputError(`Missing ${flag}.`, `Pass ${flag}, or run in a terminal without --yes to be asked.`);
}

export const nonInteractivePrompter: Prompter = {
  interactive: false,
  async input(prompt) {
    return prompt.default ?? missing(prompt.flag);
  },
  async password(prompt) {
    return missing(prompt.flag);
  },
  async confirm(prompt) {
    return prompt.default;
  },
  async checkbox(prompt) {
    return missing(prompt.flag);
  },
};

/** The terminal prompter; @inquirer/prompts is loaded only when a question is really asked. Questions go to stderr. */
export function terminalPrompter(output: NodeJS.WritableStream = process.stderr): Prompter {
  const context = { output } as never;
  const load = () => import("@inquirer/prompts");
  return {
    interactive: true,
    async input(prompt) {
      const { input } = await load();
      return input({ message: prompt.message, default: prompt.default, validate: prompt.validate, required: true }, context);
    },
    async password(prompt) {
      const { password } = await load();
      return password({ message: prompt.message, mask: "*", validate: prompt.validate }, context);
    },
    async confirm(prompt) {
      const { confirm } = await load();
      return confirm({ message: prompt.message, default: prompt.default }, context);
    },
    async checkbox<T>(prompt: { message: string; flag: string; choices: Choice<T>[] }) {
      const { checkbox } = await load();
      return checkbox<T>({ message: prompt.message, choices: prompt.choices, pageSize: 15 }, context);
    },
  };
}
