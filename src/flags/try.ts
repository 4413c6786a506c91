import { Option } from "@commander-js/extra-typings";
import type { FlagsOf, Program } from "./program.js";
import { described, timeoutSeconds } from "./values.js";

export function declareTry(program: Program) {
  return program
    .command("try")
    .description(
      "do what an MCP client does: the server's 401, its metadata, the tenant's, client registration, a user's login (PKCE, resource), the token, tools/list and tools/call; names the cause of a failure",
    )
    .addOption(described(new Option("--server-url <url>", "the MCP server to connect to"), "MCP_SERVER_URL of the environment or the .env"))
    .addOption(described(new Option("--tool <name>", "the tool to call"), "the first tool the server lists"))
    .addOption(described(new Option("--arguments <json>", "the tool call's arguments, a JSON object"), "{}"))
    .addOption(described(new Option("--user <email>", "--local: the dev user to log in, without a page"), "admin@example.com"))
    .option("--env-path <path>", "the MCP server's .env (its MCP_SERVER_URL, and what the server checks tokens against)", ".env")
    .option("--client-metadata-url <url>", "a Client ID Metadata Document URL to use as client_id where the tenant supports CIMD (else the client registers by DCR)")
    .addOption(new Option("--login-timeout <seconds>", "how long to wait for the login in the browser").argParser(timeoutSeconds).default(300));
}

export type TryFlags = FlagsOf<typeof declareTry>;
