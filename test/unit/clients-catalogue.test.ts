import { describe, expect, it } from "vitest";
import { CATALOGUE, cimdClients, type Sourced } from "../../src/clients/catalogue.js";
import { METADATA_SNAPSHOT, SNAPSHOT_PROVENANCE } from "../../src/clients/metadata-snapshot.js";

/*
 * Issue 22, "Done when" 5: every value of the catalogue of MCP clients has a source link or an
 * explicit "unverified" mark, and every catalogued CIMD URL has its bundled document.
 */

const isHttpsUrl = (value: unknown) => typeof value === "string" && /^https:\/\/[^\s/]+\/\S*$/.test(value);

/** The facts of one client: every field except its name and title, quirks one by one. */
function factsOf(client: (typeof CATALOGUE)[number]): Array<[string, unknown]> {
  return Object.entries(client).flatMap(([key, fact]): Array<[string, unknown]> => {
    if (key === "name" || key === "title") return [];
    return Array.isArray(fact) ? fact.map((item, i): [string, unknown] => [`${key}[${i}]`, item]) : [[key, fact]];
  });
}

describe("the catalogue of MCP clients", () => {
  it("holds at least the clients the issue names, each once", () => {
    const names = CATALOGUE.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(["claude", "claude-code", "vscode", "cursor", "chatgpt", "codex", "inspector"]));
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(CATALOGUE.map((c) => [c.name, c] as const))("%s: every value has a source link or an unverified mark", (_name, client) => {
    const unsourced = factsOf(client).filter(([, fact]) => {
      if (!fact || typeof fact !== "object" || !("value" in fact)) return true;
      const sourced = fact as Sourced<unknown>;
      const hasSource = "source" in sourced && sourced.source !== undefined;
      if (hasSource && !isHttpsUrl(sourced.source)) return true;
      return "unverified" in sourced ? typeof sourced.unverified !== "string" || sourced.unverified.trim() === "" : !hasSource;
    });
    expect(unsourced.map(([key]) => key)).toEqual([]);
  });

  it("bundles, for every catalogued CIMD URL, its metadata document (client_id = the URL) with where it came from", () => {
    expect(METADATA_SNAPSHOT.takenOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const urls = cimdClients().map((c) => c.cimdUrl.value);
    expect(Object.keys(METADATA_SNAPSHOT.documents).sort()).toEqual([...urls].sort());
    for (const url of urls) {
      const document = METADATA_SNAPSHOT.documents[url]!;
      expect(document["client_id"], url).toBe(url);
      expect(Array.isArray(document["redirect_uris"]) && document["redirect_uris"].length > 0, url).toBe(true);
      expect(SNAPSHOT_PROVENANCE[url]?.source, url).toBeTruthy();
    }
  });
});
