#!/usr/bin/env bash
# The official MCP conformance tool's authorization-server scenarios against a dev tenant, as a new
# user would run them: `mcp-auth0 dev --auto-login`, `mcp-auth0 init --local`, a client registered
# by DCR, then `conformance authorization`. The tool prints an authorization URL and waits for the
# redirect on its own loopback callback; a cookie-keeping curl plays the user's browser (the
# auto-login tenant needs no page). Exits non-zero when any scenario fails.
#   usage: scripts/ci/conformance.sh        (needs `npm run build` first; Node 22 comes from scripts/ci/node.sh)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# `authorization` (the authorization-server scenarios) exists only in the 0.2 pre-releases; 0.1.x,
# npm's `latest`, tests MCP clients and servers only.
CONFORMANCE_VERSION=0.2.0-alpha.12
NODE=$("$ROOT/scripts/ci/node.sh" 22)
export NODE ROOT
# shellcheck source=scripts/ci/dev-tenant.sh
. "$ROOT/scripts/ci/dev-tenant.sh"

tool="$ROOT/.cache/conformance-$CONFORMANCE_VERSION"
if [ ! -f "$tool/node_modules/@modelcontextprotocol/conformance/dist/index.js" ]; then
  mkdir -p "$tool"
  npm install --prefix "$tool" --no-save --no-audit --no-fund --loglevel=error "@modelcontextprotocol/conformance@$CONFORMANCE_VERSION" >&2
fi

work=$(mktemp -d)
trap 'stop_started; rm -rf "$work"' EXIT
api=https://mcp.example.com/mcp
start_dev_tenant "$work" user@example.com
provision "$work" "$api" "$api"
port=$(free_port)
client_id=$(register_client "http://127.0.0.1:$port/callback")
echo "Dev tenant $DEV_ISSUER, API $api, DCR client $client_id, callback port $port"

results="$ROOT/test-results/conformance"
rm -rf "$results"
mkdir -p "$results"
out="$work/conformance.out"
NODE_EXTRA_CA_CERTS="$DEV_CA" "$NODE" "$tool/node_modules/@modelcontextprotocol/conformance/dist/index.js" authorization \
  --url "$DEV_ISSUER" --client-id "$client_id" --resource "$api" --port "$port" --output-dir "$results" >"$out" 2>&1 &
conformance=$!
STARTED_PIDS+=("$conformance")

# The authorization-code-grant scenario prints the URL to open; open it like a browser would.
for _ in $(seq 1 600); do
  url=$(grep -m1 "^$DEV_URL/authorize?" "$out" || true)
  [ -n "$url" ] && break
  kill -0 "$conformance" 2>/dev/null || break
  sleep 0.1
done
# Without a login the tool would wait five minutes for its callback: stop it instead.
if [ -z "$url" ]; then cat "$out" >&2; echo "conformance: FAILED — it printed no authorization URL" >&2; exit 1; fi
follow_login "$url" || { cat "$out" >&2; echo "conformance: FAILED — the login did not reach the callback" >&2; exit 1; }
status=0
wait "$conformance" || status=$?
cat "$out"

# One line per check, from what the tool saved.
echo
echo "Conformance authorization scenarios ($CONFORMANCE_VERSION) against the dev tenant:"
"$NODE" -e '
  const fs = require("fs"), path = require("path");
  const files = [];
  const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) e.isDirectory() ? walk(path.join(d, e.name)) : e.name === "checks.json" && files.push(path.join(d, e.name)); };
  walk(process.argv[1]);
  const count = {};
  for (const f of files) for (const c of JSON.parse(fs.readFileSync(f, "utf8"))) {
    count[c.status] = (count[c.status] ?? 0) + 1;
    console.log(`  ${c.status.padEnd(8)} ${c.id}${c.errorMessage ? ` — ${c.errorMessage}` : ""}`);
  }
  console.log(`  ${Object.entries(count).map(([s, n]) => `${n} ${s}`).join(", ") || "no checks saved"}`);
' "$results"
[ "$status" -eq 0 ] && echo "conformance: all authorization scenarios passed" || echo "conformance: FAILED (exit $status)" >&2
exit "$status"
