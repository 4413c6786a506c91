import { InvalidArgumentError } from "@commander-js/extra-typings";

/**
 * Parsers and helpers shared by the declarations. A parser's error is commander's usage error
 * (exit 2, SPEC §3), printed with the flag before the command module is even loaded.
 */

/** Commander parser for a repeatable option. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * --timeout: timers take whole milliseconds below 2^32 (AbortSignal.timeout throws "delay out of
 * range" for 0.0001 s or 99999999999 s), and a wait of more than an hour for one answer is no timeout.
 */
export function timeoutSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.1 || n > 3600) throw new InvalidArgumentError("Not a number of seconds from 0.1 to 3600.");
  return n;
}

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("Not a port (0-65535).");
  return n;
}

/**
 * A default that only the help shows: the command computes it (from another flag, the config file
 * or the .env), so commander must not fill it in — a filled-in value would override the file.
 */
export function described<O extends { defaultValueDescription?: string }>(option: O, defaultDescription: string): O {
  option.defaultValueDescription = defaultDescription;
  return option;
}
