import { styled, type Line } from "../ui/logger.js";

export type Status = "pass" | "warn" | "fail" | "note";

export interface Check {
  group: string;
  title: string;
  status: Status;
  /** One line: why it passes, or what goes wrong for MCP clients. */
  detail: string;
  /** Usually the mcp-auth0 command that fixes it. */
  fix?: string;
}

export const failed = (checks: Check[]) => checks.some((c) => c.status === "fail");

const ICON = { pass: styled("green", "✔"), warn: styled("yellow", "⚠"), fail: styled("red", "✖"), note: styled("cyan", "ℹ") };

/** The verdict line's words: doctor's and init's by default. */
export interface Verdict {
  ok: string;
  failed: string;
}

export function renderChecks(checks: Check[], verdict: Verdict = { ok: "Ready for MCP clients", failed: "Not ready for MCP clients" }): Line[] {
  const lines: Line[] = [];
  let group = "";
  for (const c of checks) {
    if (c.group !== group) {
      group = c.group;
      lines.push(styled("bold", group));
    }
    lines.push(["  ", ICON[c.status], ` ${c.title}: ${c.detail}`]);
    if (c.fix && (c.status === "fail" || c.status === "warn")) lines.push(`      fix: ${c.fix}`);
  }
  const count = (s: Status) => checks.filter((c) => c.status === s).length;
  lines.push(
    failed(checks)
      ? styled("red", `${verdict.failed}: ${count("fail")} failed, ${count("warn")} warning${count("warn") === 1 ? "" : "s"}.`)
      : styled("green", `${verdict.ok}${count("warn") ? ` (${count("warn")} warning${count("warn") === 1 ? "" : "s"})` : ""}.`),
  );
  return lines;
}
