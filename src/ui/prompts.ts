import { emitKeypressEvents } from "node:readline";
import { CancelledError, InputError } from "../errors.js";
import { visible } from "../untrusted.js";

export interface Choice<T> {
  name: string;
  value: T;
  checked?: boolean;
  /** Shown under the list while the choice is highlighted (select). */
  description?: string;
}

/** Returns an error message (the question is asked again, with it), or true. May be async (a file to read). */
export type Validate = (value: string) => string | true | Promise<string | true>;

export interface InputPrompt {
  message: string;
  /** The flag that answers this prompt: named in the error when a value is missing in non-interactive mode. */
  flag: string;
  default?: string;
  /** Errors come back to the same question: one wrong answer never ends the wizard. */
  validate?: Validate;
}

export interface SelectPrompt<T> {
  message: string;
  flag: string;
  choices: Choice<T>[];
  default?: T;
}

/**
 * Every question the CLI asks goes through this, so that non-interactive runs (--yes, CI, no TTY)
 * never hang on a prompt: they take the declared default or fail naming the flag (wrangler's dialogs).
 * An empty answer is an answer: whether it is allowed is the validator's call, so optional
 * questions ("leave empty for none") accept Enter.
 */
export interface Prompter {
  readonly interactive: boolean;
  input(prompt: InputPrompt): Promise<string>;
  password(prompt: Omit<InputPrompt, "default">): Promise<string>;
  confirm(prompt: { message: string; default: boolean }): Promise<boolean>;
  checkbox<T>(prompt: { message: string; flag: string; choices: Choice<T>[] }): Promise<T[]>;
  select<T>(prompt: SelectPrompt<T>): Promise<T>;
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
  async select(prompt) {
    return prompt.default ?? missing(prompt.flag);
  },
};

/** Ctrl-C (inquirer's ExitPromptError) and Esc (our abort) both mean: the user stopped here. */
function isCancel(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === "ExitPromptError" || name === "AbortPromptError";
}

/**
 * Inquirer prints questions, choices, defaults and validation messages as they are: each is made
 * visible here, as the logger does for every line, since a choice may be a tenant's connection name
 * and a message may quote an answer. (A default with an unsafe character would be refused by the
 * question's validator anyway, so the visible form is the only one worth offering.)
 */
const shownChoices = <T>(choices: Choice<T>[]): Choice<T>[] =>
  choices.map((c) => ({ ...c, name: visible(c.name), ...(c.description !== undefined ? { description: visible(c.description) } : {}) }));
const shownValidate = (validate: Validate | undefined) =>
  validate &&
  (async (value: string) => {
    const result = await validate(value);
    return typeof result === "string" ? visible(result) : result;
  });

/**
 * The terminal prompter; @inquirer/prompts is loaded only when a question is really asked.
 * Questions go to stderr. Esc cancels like Ctrl-C: inquirer has no Esc of its own, so a keypress
 * listener aborts the prompt's signal.
 */
export function terminalPrompter(output: NodeJS.WritableStream = process.stderr, input: NodeJS.ReadStream = process.stdin): Prompter {
  const load = () => import("@inquirer/prompts");
  async function ask<T>(run: (context: never) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const onKey = (_: unknown, key?: { name?: string }) => {
      if (key?.name === "escape") controller.abort();
    };
    emitKeypressEvents(input);
    input.on("keypress", onKey);
    try {
      return await run({ input, output, signal: controller.signal } as never);
    } catch (error) {
      if (isCancel(error)) throw new CancelledError();
      throw error;
    } finally {
      input.off("keypress", onKey);
    }
  }
  return {
    interactive: true,
    async input(prompt) {
      const { input: ask_ } = await load();
      const shownDefault = prompt.default === undefined ? undefined : visible(prompt.default);
      return ask((context) => ask_({ message: visible(prompt.message), default: shownDefault, validate: shownValidate(prompt.validate) }, context));
    },
    async password(prompt) {
      const { password } = await load();
      return ask((context) => password({ message: visible(prompt.message), mask: "*", validate: shownValidate(prompt.validate) }, context));
    },
    async confirm(prompt) {
      const { confirm } = await load();
      return ask((context) => confirm({ message: visible(prompt.message), default: prompt.default }, context));
    },
    async checkbox<T>(prompt: { message: string; flag: string; choices: Choice<T>[] }) {
      const { checkbox } = await load();
      return ask((context) => checkbox<T>({ message: visible(prompt.message), choices: shownChoices(prompt.choices), pageSize: 15 }, context));
    },
    async select<T>(prompt: SelectPrompt<T>) {
      const { select } = await load();
      return ask((context) => select<T>({ message: visible(prompt.message), choices: shownChoices(prompt.choices), default: prompt.default, pageSize: 15 }, context));
    },
  };
}
