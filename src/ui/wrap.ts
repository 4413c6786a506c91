import { Help } from "@commander-js/extra-typings";

/** Commander's own wrapper (the one `--help` uses): word boundaries, widths measured without colour codes. */
const helper = Object.assign(new Help(), { minWidthToWrap: 20 });

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
      const indent = /^ */.exec(line)![0];
      const hanging = `${indent}  `;
      return indent + helper.boxWrap(line.slice(indent.length), width - hanging.length).replace(/\n/g, `\n${hanging}`);
    })
    .join("\n");
}
