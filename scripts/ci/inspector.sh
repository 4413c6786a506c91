#!/usr/bin/env bash
# The MCP Inspector CLI through a full OAuth login, as a new user would try it: `mcp-auth0 dev
# --auto-login`, an MCP server protected by it (scripts/ci/mcp-server.mjs), `mcp-auth0 init --local`,
# then `inspector --cli <server> --method tools/call --tool-name whoami`. The Inspector finds the
# tenant from the server's 401 and metadata, registers by DCR, starts its loopback callback and
# opens the authorization URL with $BROWSER — here scripts/ci/headless-browser.sh, since the
# auto-login tenant needs no page. Exits non-zero unless the tool call returns the permissions of
# the user who logged in.
#   usage: scripts/ci/inspector.sh        (needs `npm ci` and `npm run build` first; Node 22 comes from scripts/ci/node.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
INSPECTOR_VERSION=2.12.0
NODE=$("$ROOT/scripts/ci/node.sh" 22)
export NODE ROOT
# shellcheck source=scripts/ci/dev-tenant.sh
. "$ROOT/scripts/ci/dev-tenant.sh"

tool="$ROOT/.cache/inspector-$INSPECTOR_VERSION"
inspector="$tool/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
if [ ! -f "$inspector" ]; then
  mkdir -p "$tool"
  npm install --prefix "$tool" --no-save --no-audit --no-fund --loglevel=error "@modelcontextprotocol/inspector@$INSPECTOR_VERSION" >&2
fi

work=$(mktemp -d)
trap 'stop_started; rm -rf "$work"' EXIT
start_dev_tenant "$work" admin@example.com

NODE_EXTRA_CA_CERTS="$DEV_CA" "$NODE" "$ROOT/scripts/ci/mcp-server.mjs" "$work/.env" >"$work/mcp.log" 2>&1 &
STARTED_PIDS+=("$!")
for _ in $(seq 1 100); do server=$(head -1 "$work/mcp.log"); [ -n "$server" ] && break; sleep 0.1; done
[ -n "$server" ] || { echo "the MCP server printed no URL:" >&2; cat "$work/mcp.log" >&2; exit 1; }
provision "$work" "$server" "$server"
for _ in $(seq 1 100); do grep -q '^ready:' "$work/mcp.log" && break; sleep 0.1; done
grep -q '^ready:' "$work/mcp.log" || { echo "the MCP server did not start:" >&2; cat "$work/mcp.log" >&2; exit 1; }
callback="http://127.0.0.1:$(free_port)/oauth/callback"
echo "Dev tenant $DEV_ISSUER (auto-login admin@example.com), MCP server $server, Inspector $INSPECTOR_VERSION callback $callback"

# MCP_AUTO_OPEN_ENABLED=true is the Inspector's opt-in for OAuth without a terminal (CI has no
# TTY); HOME keeps its catalog and any secrets file inside the work directory; no desktop
# variables, so xdg-open goes to $BROWSER.
status=0
env -u DISPLAY -u WAYLAND_DISPLAY -u XDG_CURRENT_DESKTOP \
  HOME="$work/home" MCP_INSPECTOR_SECRET_STORE=memory MCP_AUTO_OPEN_ENABLED=true \
  BROWSER="$ROOT/scripts/ci/headless-browser.sh" HEADLESS_BROWSER_LOG="$work/browser.log" DEV_CA="$DEV_CA" \
  NODE_EXTRA_CA_CERTS="$DEV_CA" \
  timeout 90 "$NODE" "$inspector" --cli "$server" --method tools/call --tool-name whoami --callback-url "$callback" --format json \
  >"$work/result.json" 2>"$work/inspector.err" || status=$?
cat "$work/inspector.err" >&2
cat "$work/browser.log" 2>/dev/null || echo "the Inspector never opened the authorization URL" >&2
echo "Inspector result: $(cat "$work/result.json")"
[ "$status" -eq 0 ] || { echo "inspector: FAILED (exit $status)" >&2; exit "$status"; }

# The tool saw a token for the admin, with the permissions the roles file gives them.
"$NODE" -e '
  // --format json wraps the MCP result: {"result": CallToolResult}.
  const result = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).result ?? {};
  const seen = result.structuredContent ?? JSON.parse(result.content?.[0]?.text ?? "{}");
  const permissions = [...(seen.permissions ?? [])].sort().join(" ");
  if (permissions !== "tool:greet tool:whoami") { console.error(`inspector: FAILED — whoami saw permissions "${permissions}"`); process.exit(1); }
  console.log(`inspector: OAuth login and tools/call passed (sub ${seen.sub}, permissions ${permissions})`);
' "$work/result.json"
