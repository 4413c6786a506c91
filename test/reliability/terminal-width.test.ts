import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli.js";
import { createLogger } from "../../src/ui/logger.js";
import { Capture, scriptedPrompter } from "../support/cli.js";
import { exampleArgs, freshFixture, IDENTIFIER, type Fixture } from "../support/tenant.js";

/**
 * Issue 16, defect 4: on a TTY that reports 0 columns (docker run -t before a resize, some CI ptys)
 * ora wrote "\x1b[0K" forever after the first write — 22 MB in 40 s, the tenant half applied.
 * Spinners need a known, positive width; otherwise each step is one plain line.
 */
class FakeTty extends Capture {
  constructor(readonly columns: number | undefined) {
    super();
    this.isTTY = true;
  }
  // What tty.WriteStream writes for these (ora uses them to redraw its line).
  cursorTo(x: number, callback?: () => void) {
    return this.write(`\x1b[${x + 1}G`, callback);
  }
  moveCursor(_dx: number, dy: number, callback?: () => void) {
    return this.write(dy < 0 ? `\x1b[${-dy}A` : "", callback);
  }
  clearLine(_dir: number, callback?: () => void) {
    return this.write("\x1b[0K", callback);
  }
}

async function stepOn(columns: number | undefined) {
  const stderr = new FakeTty(columns);
  const logger = createLogger({ stdout: new Capture(), stderr, color: true, verbose: false, spinners: true });
  const result = await logger.step("Create API https://mcp.example.com/mcp", () => new Promise((r) => setTimeout(() => r(42), 300)));
  await new Promise((r) => setImmediate(r));
  return { result, text: stderr.text };
}

describe("spinners and the terminal's width", () => {
  it.each([
    ["0 columns", 0],
    ["an unknown width", undefined],
  ])("with %s, a step is one plain line, with no line-clearing escapes", async (_what, columns) => {
    const { result, text } = await stepOn(columns);
    expect(result).toBe(42);
    expect(text).not.toContain("\x1b[0K");
    expect(text).not.toContain("\x1b[K");
    expect(text.trim().split("\n")).toHaveLength(1);
    expect(text).toContain("Create API https://mcp.example.com/mcp");
  });

  it("with a real width, the spinner still runs (the check is on the width, not on spinners in general)", async () => {
    // ora draws nothing but plain lines when CI is set (as in .ci/run): this test is about a person's terminal.
    const ci = process.env.CI;
    delete process.env.CI;
    const { text } = await stepOn(80).finally(() => {
      if (ci !== undefined) process.env.CI = ci;
    });
    // ora hides the cursor and redraws its line: the escapes a spinner writes on a usable terminal.
    expect(text).toContain("\x1b[?25l");
    expect(text).toContain("\x1b[0K");
  });
});

let fx: Fixture | undefined;
afterEach(async () => fx?.tenant.close());

describe("interactive init on a 0-column TTY", () => {
  it("applies everything and writes a bounded amount of plain output", async () => {
    fx = await freshFixture();
    const stderr = new FakeTty(0);
    const stdout = new FakeTty(0);
    const prompter = scriptedPrompter([
      [/MCP clients your users connect with/, []],
      [/Apply these changes/, true],
      [/Save these answers/, false],
    ]);
    const args = [...exampleArgs(fx.dir).filter((a) => a !== "--yes"), "--template", "auth0"];
    const code = await runCli(args, { env: { PATH: process.env.PATH, ...fx.env }, cwd: fx.dir, stdout, stderr, stdinIsTTY: true, prompter, ca: fx.tenant.caCertPem });
    await new Promise((r) => setTimeout(r, 200));
    expect(code).toBe(0);
    expect(stderr.text).not.toContain("\x1b[0K");
    // Every step is a line; a spinner on 0 columns wrote megabytes.
    expect(stderr.text.length).toBeLessThan(20_000);
    expect(fx.tenant.store.resourceServers.some((r) => r.identifier === IDENTIFIER)).toBe(true);
  });
});
