import { Option } from "@commander-js/extra-typings";
import type { FlagsOf, Program } from "./program.js";
import { port } from "./values.js";

export function declareDev(program: Program) {
  return (
    program
      .command("dev")
      .description("run a local Auth0-compatible tenant (Management API, OAuth with DCR and PKCE, dev users) until stopped; then: npx mcp-auth0 init --local")
      .addOption(new Option("--port <port>", "HTTPS port on localhost").argParser(port).default(4000))
      .option("--auto-login <email>", "headless mode for tests and CI: log this dev user in and consent, with no page")
      .addOption(
        new Option("--plan <plan>", "Auth0's free-plan limits: Management API 2/s, /oidc/register 5/s, token exchange 2/s, 10 applications, 100 client grants, 10 APIs").choices([
          "free",
        ]),
      )
      // Alone, `true`: the port follows --port.
      .addOption(new Option("--custom-domain [port]", "also serve a custom domain at 127.0.0.1:<port> (default --port + 1) with its own issuer, as Auth0 does").argParser(port))
  );
}

export type DevFlags = FlagsOf<typeof declareDev>;
