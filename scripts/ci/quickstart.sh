#!/usr/bin/env bash
# The README's no-account quick start as a new user meets it, timed: a clean clone of this
# repository (its committed HEAD), Install's `npm ci && npm pack`, then the "Try it with no account"
# block as written (scripts/ci/readme-quickstart.mjs: ports aside), ending with the MCP Inspector
# 2.12 CLI's tool call — an MCP client nobody here wrote, logging in through the dev tenant's pages
# in Debian's Chromium as $BROWSER. Everything on Node 22 (scripts/ci/node.sh), which the example
# server and the Inspector need. Prints the time from the clone to the Inspector's answer.
#   usage: scripts/ci/quickstart.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
NODE=$("$ROOT/scripts/ci/node.sh" 22)
export PATH="$(dirname "$NODE"):$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$SECONDS

git clone --quiet "$ROOT" "$work/mcp-auth0"
(cd "$work/mcp-auth0" && npm ci --no-audit --no-fund --loglevel=error && npm pack --loglevel=error) >"$work/install.log" 2>&1 || {
  echo "quickstart: npm ci && npm pack failed:" >&2; cat "$work/install.log" >&2; exit 1
}
echo "quickstart: clone, npm ci and npm pack took $((SECONDS - started)) s"
node "$ROOT/scripts/ci/readme-quickstart.mjs" "$work"
echo "quickstart: from a clean clone to the Inspector's tool call in $((SECONDS - started)) s"
