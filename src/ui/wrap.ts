import { Help } from "@commander-js/extra-typings";

/** Commander's own wrapper (the one `--help` uses): word boundaries, widths measured without colour codes. */
const helper = Object.assign(new Help(), { minWidthToWrap: 20 });

/** A line's colour codes (ESC [ … m: a dimmed line starts with one) and then its indent. */
const LEADING = new RegExp(`^((?:${String.fromCharCode(27)}\\[[\\d;]*m)*)( *)`);

/**
 * `text` wrapped to a terminal `width` at word boundaries, so that the terminal never breaks a
 * word (a URL, a scope) in two. A wrapped line goes on two columns further in than it started,
 * so a plan's entries stay apart. No width (not a terminal): unchanged.
 */
export function wrapToWidth(text: string, width: number | undefined): string {
  if (!width) return text;
  return text
    .split("\n")
    .map((line) => {
      if (helper.displayWidth(line) <= width) return line;
      const [start, codes, indent] = LEADING.exec(line)!;
      const hanging = `${indent}  `;
      return codes + indent + helper.boxWrap(line.slice(start.length), width - hanging.length).replace(/\n/g, `\n${hanging}`);
    })
    .join("\n");
}
