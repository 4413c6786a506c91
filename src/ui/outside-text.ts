/**
 * Text that came from outside (an MCP server's answers and tool results, a tenant's error page,
 * metadata documents) is data, not terminal commands: control characters (C0, DEL, C1, which
 * include the escape that starts a terminal sequence) and the invisible format characters that
 * reorder or hide text (bidirectional overrides and isolates, zero-width characters) are shown as
 * `\u{…}` escapes, and the text is cut at `max` characters. `--json` carries the original.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point.
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu;

export function visible(text: string, max = 500): string {
  const cut = [...text].length > max ? `${[...text].slice(0, max).join("")}…` : text;
  return cut.replace(HIDDEN, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
