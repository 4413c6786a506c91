# Sourced by the CI scripts that point independent MCP tools at a dev tenant. Defines:
#   start_dev_tenant <work dir> <email>  starts `mcp-auth0 dev --auto-login <email>` on a free port with
#                                        its data in <work dir>/.mcp-auth0, waits for its ready line and
#                                        sets DEV_URL (https://localhost:PORT), DEV_ISSUER and DEV_CA
#   provision <work dir> <api identifier> <server url>
#                                        `mcp-auth0 init --local` as a user would, with the README's
#                                        scopes and roles; the MCP server's .env lands in <work dir>/.env
#   register_client <redirect uri>       DCR as an MCP client does it; prints the client_id
#   follow_login <authorization url>     the user's browser (scripts/ci/headless-browser.sh): follows a
#                                        headless login to the client's redirect URI; prints where it ended
#   free_port                            a TCP port that was free a moment ago
#   stop_started                         stops the processes these functions started (and only those)
# Needs NODE (a Node binary) and ROOT (the repository, built) to be set by the caller.

STARTED_PIDS=()

stop_started() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    # Only a process this script started and that is still running.
    if kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  done
  STARTED_PIDS=()
}

free_port() {
  "$NODE" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

start_dev_tenant() {
  local work=$1 email=$2 log=$1/dev.log
  # The log exists before the first poll reads it (under load the subshell may open it later).
  : >"$log"
  (cd "$work" && exec "$NODE" "$ROOT/bin/mcp-auth0.js" dev --port 0 --data-dir .mcp-auth0 --auto-login "$email" >"$log" 2>&1) &
  STARTED_PIDS+=("$!")
  local pid=$! i
  for i in $(seq 1 300); do
    DEV_URL=$(sed -n 's/^.*Local Auth0-compatible tenant running at \(https:[^ ]*\) .*$/\1/p' "$log" | head -1)
    [ -n "$DEV_URL" ] && break
    if ! kill -0 "$pid" 2>/dev/null; then echo "mcp-auth0 dev exited:" >&2; cat "$log" >&2; return 1; fi
    sleep 0.1
  done
  if [ -z "$DEV_URL" ]; then echo "mcp-auth0 dev printed no ready line within 30 s:" >&2; cat "$log" >&2; return 1; fi
  DEV_ISSUER="$DEV_URL/"
  DEV_CA="$work/.mcp-auth0/ca.pem"
  export DEV_URL DEV_ISSUER DEV_CA
}

provision() {
  local work=$1 api=$2 server_url=$3
  cp "$ROOT/examples/roles.yaml" "$work/roles.yaml"
  (cd "$work" && "$NODE" "$ROOT/bin/mcp-auth0.js" init --local --yes \
    --api-identifier "$api" --api-name "CI MCP server" \
    --scopes "tool:whoami=Read your identity,tool:greet=Greet someone" \
    --connections Username-Password-Authentication \
    --roles roles.yaml --server-url "$server_url" --env-path .env) >"$work/init.log" 2>&1 || {
    echo "mcp-auth0 init --local failed:" >&2; cat "$work/init.log" >&2; return 1
  }
}

register_client() {
  curl -sS --fail-with-body --cacert "$DEV_CA" -X POST "$DEV_URL/oidc/register" -H 'content-type: application/json' \
    -d "{\"client_name\":\"CI conformance client\",\"redirect_uris\":[\"$1\"],\"token_endpoint_auth_method\":\"none\",\"grant_types\":[\"authorization_code\",\"refresh_token\"],\"response_types\":[\"code\"]}" |
    "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).client_id))'
}

follow_login() {
  "$ROOT/scripts/ci/headless-browser.sh" "$1"
}
