import { describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { parseApiName, parseIdentifier, parseList, parseScopes } from "../../src/input/values.js";

/** Runs `fn`, expecting an InputError (exit code 2), and returns it for further assertions. */
function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).exitCode).toBe(2);
    return error as InputError;
  }
  throw new Error("expected an InputError, but nothing was thrown");
}

describe("parseScopes", () => {
  it("reads values and value=description items, trimming around each", () => {
    expect(parseScopes(" tool:whoami = Read your identity , tool:greet ")).toEqual([
      { value: "tool:whoami", description: "Read your identity" },
      { value: "tool:greet", description: undefined },
    ]);
  });

  it("keeps an = inside a description and treats an empty description as none", () => {
    expect(parseScopes("calc:eval=Compute a=b,tool:x=")).toEqual([
      { value: "calc:eval", description: "Compute a=b" },
      { value: "tool:x", description: undefined },
    ]);
  });

  it("ignores empty items between commas", () => {
    expect(parseScopes("a,,b,").map((s) => s.value)).toEqual(["a", "b"]);
  });

  it("accepts every RFC 6749 scope-token character, including the edges of each range", () => {
    // %x21, %x23-5B, %x5D-7E: everything printable except space, " and \.
    const token = "!#$%&'()*+-./09:;<>?@AZ[]^_`az{|}~";
    expect(parseScopes(token)).toEqual([{ value: token, description: undefined }]);
  });

  it.each([
    ['say"hi', "a double quote"],
    ["back\\slash", "a backslash"],
    ["tool:caf\u00e9", "a non-ASCII letter"],
  ])("rejects the scope %j (%s), naming it and the RFC", (value) => {
    const error = inputError(() => parseScopes(`ok,${value}=desc`));
    expect(error.message).toContain(`"${value}"`);
    expect(error.message).toContain("RFC 6749");
    expect(error.hint).toContain("value=description");
  });

  it("rejects a space inside a value (items are trimmed, inner spaces are not allowed)", () => {
    expect(inputError(() => parseScopes("read data")).message).toContain('"read data"');
  });

  it("rejects an item with a description but no value", () => {
    expect(inputError(() => parseScopes("=Only a description")).message).toContain('Invalid scope ""');
  });

  it("accepts a 280-character value and rejects 281", () => {
    expect(parseScopes("a".repeat(280))[0]!.value).toHaveLength(280);
    inputError(() => parseScopes("a".repeat(281)));
  });

  it("accepts a 500-character description and rejects 501, naming the scope", () => {
    expect(parseScopes(`tool:x=${"d".repeat(500)}`)[0]!.description).toHaveLength(500);
    expect(inputError(() => parseScopes(`tool:x=${"d".repeat(501)}`)).message).toContain("tool:x");
  });

  it("rejects a scope listed twice, even with different descriptions", () => {
    const error = inputError(() => parseScopes("tool:greet=Greet,tool:whoami,tool:greet=Say hello"));
    expect(error.message).toBe("Scope tool:greet appears twice in --scopes.");
  });

  it.each(["", "   ", ",", " , ,"])("rejects a list with no scope (%j) and shows an example", (raw) => {
    const error = inputError(() => parseScopes(raw));
    expect(error.message).toContain("--scopes lists no scope");
    expect(error.hint).toContain("--scopes");
  });
});

describe("parseIdentifier", () => {
  it.each([
    "https://mcp.example.com/mcp",
    // The audience is compared character for character: a trailing slash must survive.
    "https://mcp.example.com/",
    "https://mcp.example.com",
    "https://mcp.example.com:8443/mcp?tenant=a",
    "http://localhost:3000/mcp",
    "http://127.0.0.1:3000",
    "http://[::1]:3000/mcp",
  ])("accepts %s and returns it unchanged", (raw) => {
    expect(parseIdentifier(raw)).toBe(raw);
  });

  it.each(["http://mcp.example.com/mcp", "http://localhost.example.com/mcp", "ftp://mcp.example.com/", "urn:mcp:server"])(
    "rejects %s: only https, or http for localhost",
    (raw) => {
      const error = inputError(() => parseIdentifier(raw));
      expect(error.message).toContain("must be an https:// URL");
      expect(error.message).toContain(raw);
    },
  );

  it.each(["mcp.example.com/mcp", "/mcp", "not a url", ""])("rejects %j as not an absolute URL, with an example", (raw) => {
    const error = inputError(() => parseIdentifier(raw));
    expect(error.message).toContain("is not an absolute URL");
    expect(error.hint).toContain("https://");
  });

  it("rejects a fragment", () => {
    expect(inputError(() => parseIdentifier("https://mcp.example.com/mcp#tools")).message).toContain("fragment");
  });

  // BUG (src/input/values.ts:48): `url.hash` is "" for an empty fragment, so a trailing "#" slips
  // through. RFC 8707 forbids any fragment component in a resource indicator, and Auth0 compares
  // the audience character for character, so the API would never match the server's resource URL.
  it("rejects an empty fragment (a trailing #)", () => {
    inputError(() => parseIdentifier("https://mcp.example.com/mcp#"));
  });

  // BUG (src/input/values.ts:40-51): the URL parser strips surrounding spaces, but the raw string
  // (spaces included) is returned and becomes the API identifier and audience.
  it("does not return an identifier with surrounding spaces", () => {
    let result: string | undefined;
    try {
      result = parseIdentifier(" https://mcp.example.com/mcp ");
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      return;
    }
    expect(result).toBe("https://mcp.example.com/mcp");
  });

  it("rejects identifiers longer than Auth0's 600 characters", () => {
    const base = "https://mcp.example.com/";
    expect(parseIdentifier(base + "a".repeat(600 - base.length))).toHaveLength(600);
    expect(inputError(() => parseIdentifier(base + "a".repeat(601 - base.length))).message).toContain("600");
  });

  it("names the flag it was given", () => {
    expect(inputError(() => parseIdentifier("nope", "--server-url")).message).toMatch(/^--server-url "nope"/);
    expect(inputError(() => parseIdentifier("nope")).message).toMatch(/^--api-identifier "nope"/);
  });
});

describe("parseApiName", () => {
  it("trims the name", () => {
    expect(parseApiName("  My MCP Server  ")).toBe("My MCP Server");
  });

  it("accepts 200 characters and rejects 201", () => {
    expect(parseApiName("n".repeat(200))).toHaveLength(200);
    expect(inputError(() => parseApiName("n".repeat(201))).message).toContain("1–200 characters");
  });

  it.each(["", "   ", "<script>", "a > b"])("rejects %j", (raw) => {
    expect(inputError(() => parseApiName(raw)).message).toContain("--api-name");
  });
});

describe("parseList", () => {
  it("splits on commas, trims, and drops empty items", () => {
    expect(parseList(" Username-Password-Authentication , google-oauth2,,")).toEqual(["Username-Password-Authentication", "google-oauth2"]);
    expect(parseList(undefined)).toEqual([]);
  });
});
