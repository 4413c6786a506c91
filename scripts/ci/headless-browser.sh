#!/usr/bin/env bash
# The user's browser for CI logins against a dev tenant started with --auto-login (which needs no
# page): follows the redirects from an authorization URL to the client's redirect URI, keeping
# cookies and trusting the tenant's CA ($DEV_CA), and prints where it ended (code redacted).
# Usable as $BROWSER, which is how xdg-open (and so Node's `open`) opens a URL on a machine
# without a desktop.
#   usage: DEV_CA=…/ca.pem scripts/ci/headless-browser.sh <url>
set -euo pipefail
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT
ended=$(curl -sS --cacert "${DEV_CA:?DEV_CA: the dev tenant CA}" -L --max-redirs 10 -c "$jar" -b "$jar" -o /dev/null -w '%{url_effective}' "${1:?usage: headless-browser.sh <url>}")
line="headless browser: ${1%%\?*} → $(sed 's/code=[^&]*/code=…/' <<<"$ended")"
# Launched by xdg-open with its output ignored: leave the line where the caller looks for it.
if [ -n "${HEADLESS_BROWSER_LOG:-}" ]; then echo "$line" >>"$HEADLESS_BROWSER_LOG"; else echo "$line"; fi
