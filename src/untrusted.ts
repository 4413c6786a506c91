/**
 * Text from outside this program — a tenant's answers, what an MCP client registered, a CIMD
 * document, a .env, a config or roles file — is data, never terminal commands. These characters
 * change what a terminal shows without being seen: control characters (C0, DEL, C1 — ESC starts
 * OSC 52 clipboard writes and screen clears, CR and LF forge whole lines, U+009B is a CSI on UTF-8
 * terminals), format characters (bidi overrides and isolates, zero-width characters, the soft
 * hyphen), the line and paragraph separators, and lone surrogates.
 */
export const UNSAFE_CHARACTER = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
const UNSAFE_CHARACTERS = new RegExp(UNSAFE_CHARACTER.source, "gu");

const hex = (code: number, digits: number) => code.toString(16).padStart(digits, "0");

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** `\n`, `\x1b`, `\u202e`, `\u{e0001}`: as JavaScript writes the character in a string. */
function escapeCharacter(char: string): string {
  const code = char.codePointAt(0)!;
  return NAMED[char] ?? (code <= 0xff ? `\\x${hex(code, 2)}` : code <= 0xffff ? `\\u${hex(code, 4)}` : `\\u{${hex(code, 1)}}`);
}

/** The text with each unsafe character shown as its escape: what every line of human output goes through (ui/logger.ts). */
export function visible(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, escapeCharacter);
}

/**
 * Outside text cut to what a line can show, by code points (a cut never splits a surrogate pair):
 * the logger makes whatever it holds visible; --json keeps the whole of it.
 */
export function clip(text: string, max = 500): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max).join("")}…` : text;
}

/** U+00XX or U+XXXX: how an input error names the character it refuses. */
export function codePointName(char: string): string {
  return `U+${hex(char.codePointAt(0)!, 4).toUpperCase()}`;
}

/**
 * A word for a printed shell command that the user may copy. A word holding an unsafe character is
 * written in ANSI-C quotes (`$'…\x1b…'`, bash, zsh, ksh and POSIX.1-2024 sh): the terminal shows only
 * printable text, and the shell turns it back into exactly the original word.
 */
export function shellAnsiC(word: string): string {
  const escaped = word.replace(/[\\']/g, "\\$&").replace(UNSAFE_CHARACTERS, (char) => {
    const code = char.codePointAt(0)!;
    // \xHH is one byte; above ASCII the shell must encode the character itself (\u, \U).
    return code < 0x80 ? `\\x${hex(code, 2)}` : code <= 0xffff ? `\\u${hex(code, 4)}` : `\\U${hex(code, 8)}`;
  });
  return `$'${escaped}'`;
}

/**
 * The --json document, exact once parsed, with every unsafe character written as a `\uXXXX` escape:
 * JSON.stringify leaves DEL, C1, format characters and U+2028/U+2029 raw, and stdout may be a terminal.
 * Outside strings they can only stand inside a string, where the escape means the same character.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_CHARACTERS, (char) =>
    // The document's own line breaks (the indentation) are structure, not content: strings escape theirs.
    char === "\n" ? char : [...Array(char.length).keys()].map((i) => `\\u${hex(char.charCodeAt(i), 4)}`).join(""),
  );
}
