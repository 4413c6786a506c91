import { describe, expect, it } from "vitest";
import { formatEnvValue, mergeEnv } from "../../src/env/dotenv.js";

const USER_FILE = [
  "# My MCP server",
  "",
  "PORT=3001",
  "export AUTH0_DOMAIN=old.us.auth0.com",
  "  # indented comment with AUTH0_AUDIENCE=nope",
  'DATABASE_URL="postgres://u:p@localhost/db"   # keep me',
  "AUTH0_AUDIENCE = https://old.example.com/mcp # the API",
  "",
  "LAST=1",
].join("\n");

describe("mergeEnv", () => {
  it("creates a file from scratch, one key per line, ending with a newline", () => {
    const result = mergeEnv(undefined, [
      ["AUTH0_DOMAIN", "acme.us.auth0.com"],
      ["AUTH0_AUDIENCE", "https://mcp.example.com/"],
    ]);
    expect(result.text).toBe("AUTH0_DOMAIN=acme.us.auth0.com\nAUTH0_AUDIENCE=https://mcp.example.com/\n");
    expect(result.added).toEqual(["AUTH0_DOMAIN", "AUTH0_AUDIENCE"]);
    expect(result.changed).toEqual([]);
  });

  it("updates managed keys in place and keeps every other byte", () => {
    const result = mergeEnv(USER_FILE + "\n", [
      ["AUTH0_DOMAIN", "acme.us.auth0.com"],
      ["AUTH0_AUDIENCE", "https://mcp.example.com/"],
    ]);
    expect(result.text).toBe(
      [
        "# My MCP server",
        "",
        "PORT=3001",
        "export AUTH0_DOMAIN=acme.us.auth0.com",
        "  # indented comment with AUTH0_AUDIENCE=nope",
        'DATABASE_URL="postgres://u:p@localhost/db"   # keep me',
        "AUTH0_AUDIENCE = https://mcp.example.com/ # the API",
        "",
        "LAST=1",
        "",
      ].join("\n"),
    );
    expect(result.changed).toEqual(["AUTH0_DOMAIN", "AUTH0_AUDIENCE"]);
    expect(result.added).toEqual([]);
  });

  it("appends new keys at the end, adding the missing final newline first", () => {
    const result = mergeEnv(USER_FILE, [
      ["AUTH0_DOMAIN", "old.us.auth0.com"],
      ["MCP_SERVER_URL", "https://mcp.example.com"],
    ]);
    expect(result.text).toBe(USER_FILE + "\nMCP_SERVER_URL=https://mcp.example.com\n");
    expect(result.added).toEqual(["MCP_SERVER_URL"]);
    expect(result.changed).toEqual([]);
  });

  it("appends to an empty file without a leading blank line", () => {
    expect(mergeEnv("", [["A", "1"]]).text).toBe("A=1\n");
  });

  it("keeps CRLF line endings and uses them for appended keys", () => {
    const existing = "# comment\r\nPORT=3001\r\nAUTH0_DOMAIN=old.auth0.com\r\n\r\nOWN=x\r\n";
    const result = mergeEnv(existing, [
      ["AUTH0_DOMAIN", "acme.auth0.com"],
      ["AUTH0_AUDIENCE", "https://mcp.example.com/"],
    ]);
    expect(result.text).toBe("# comment\r\nPORT=3001\r\nAUTH0_DOMAIN=acme.auth0.com\r\n\r\nOWN=x\r\nAUTH0_AUDIENCE=https://mcp.example.com/\r\n");
  });

  it("returns the text unchanged when every value is already there, quoted or not", () => {
    const existing = [
      "AUTH0_DOMAIN=acme.auth0.com",
      'AUTH0_AUDIENCE="https://mcp.example.com/"',
      "export MCP_SERVER_URL='https://mcp.example.com'  # public URL",
      'AUTH0_SCOPE="openid profile"',
      "",
    ].join("\n");
    const result = mergeEnv(existing, [
      ["AUTH0_DOMAIN", "acme.auth0.com"],
      ["AUTH0_AUDIENCE", "https://mcp.example.com/"],
      ["MCP_SERVER_URL", "https://mcp.example.com"],
      ["AUTH0_SCOPE", "openid profile"],
    ]);
    expect(result).toEqual({ text: existing, changed: [], added: [] });
  });

  it("updates every occurrence of a managed key, because dotenv parsers let the last one win", () => {
    const result = mergeEnv("AUTH0_DOMAIN=a.auth0.com\nOWN=1\nAUTH0_DOMAIN=b.auth0.com\n", [["AUTH0_DOMAIN", "c.auth0.com"]]);
    expect(result.text).toBe("AUTH0_DOMAIN=c.auth0.com\nOWN=1\nAUTH0_DOMAIN=c.auth0.com\n");
    expect(result.changed).toEqual(["AUTH0_DOMAIN"]);
  });

  it("replaces a multi-line quoted value whole, and ignores KEY= lines inside another value", () => {
    const existing = 'AUTH0_AUDIENCE="line one\nline two"\nCERT="-----BEGIN\nAUTH0_DOMAIN=inside.value\n-----END"\nAUTH0_DOMAIN=real.auth0.com\n';
    const result = mergeEnv(existing, [
      ["AUTH0_AUDIENCE", "https://mcp.example.com/"],
      ["AUTH0_DOMAIN", "acme.auth0.com"],
    ]);
    expect(result.text).toBe('AUTH0_AUDIENCE=https://mcp.example.com/\nCERT="-----BEGIN\nAUTH0_DOMAIN=inside.value\n-----END"\nAUTH0_DOMAIN=acme.auth0.com\n');
  });

  it("keeps an inline comment separate from the new value", () => {
    expect(mergeEnv("AUTH0_DOMAIN= # set me\n", [["AUTH0_DOMAIN", "acme.auth0.com"]]).text).toBe("AUTH0_DOMAIN= acme.auth0.com # set me\n");
  });

  it("does not take a commented-out assignment for the key", () => {
    const result = mergeEnv("# AUTH0_DOMAIN=old.auth0.com\n", [["AUTH0_DOMAIN", "acme.auth0.com"]]);
    expect(result.text).toBe("# AUTH0_DOMAIN=old.auth0.com\nAUTH0_DOMAIN=acme.auth0.com\n");
    expect(result.added).toEqual(["AUTH0_DOMAIN"]);
  });

  it("rewrites a bare value that parsers read differently, even when it looks equal", () => {
    // dotenv reads `a#b` as `a`; python-dotenv reads `a#b`. Quoting makes both read `a#b`.
    const result = mergeEnv("SECRET=a#b\n", [["SECRET", "a#b"]]);
    expect(result.text).toBe('SECRET="a#b"\n');
    expect(result.changed).toEqual(["SECRET"]);
  });

  it("rejects a key that is not an environment variable name", () => {
    expect(() => mergeEnv(undefined, [["BAD KEY", "x"]])).toThrow(/BAD KEY/);
  });
});

describe("formatEnvValue", () => {
  it("leaves domains, URLs and ids bare", () => {
    for (const value of ["acme.us.auth0.com", "localhost:8443", "https://mcp.example.com/mcp?x=1&y=2", "tpc_AbC-123_x", ""]) {
      expect(formatEnvValue(value)).toBe(value);
    }
  });

  it("quotes only values that need it", () => {
    expect(formatEnvValue("openid profile")).toBe('"openid profile"');
    expect(formatEnvValue("a#b")).toBe('"a#b"');
    expect(formatEnvValue("it's")).toBe('"it\'s"');
    expect(formatEnvValue('say "hi"\\now\nnext')).toBe('"say \\"hi\\"\\\\now\\nnext"');
  });

  it("round-trips every quoted value through mergeEnv", () => {
    const values = ["openid profile email", "a#b", "it's", 'say "hi"', "back\\slash", "two\nlines", " padded ", "x=y z", "é ü"];
    for (const value of values) {
      const { text } = mergeEnv(undefined, [["K", value]]);
      // Reading the written value back: merging the same value again is a no-op.
      expect(mergeEnv(text, [["K", value]]), JSON.stringify(value)).toEqual({ text, changed: [], added: [] });
      expect(mergeEnv(text, [["K", value + "!"]]).changed).toEqual(["K"]);
    }
  });
});
