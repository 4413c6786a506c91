/**
 * `dcr` (default): MCP clients register themselves and log in through domain-level connections.
 * `proxy`: the MCP server mediates the OAuth flow with one Regular Web Application.
 * (A module of its own: the flag declarations load it on every run, and nothing heavy with it.)
 */
export type InitMode = "dcr" | "proxy";

export const INIT_MODES: readonly InitMode[] = ["dcr", "proxy"];
