#!/usr/bin/env bash
# Fetch htmx from the npm registry into casedesk/static/vendor (not committed: it is another
# project's code). Needs npm; Debian's package is installed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
HTMX_VERSION=2.0.4
dest=casedesk/static/vendor
mkdir -p "$dest"
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found; installing Debian's npm" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "htmx.org@${HTMX_VERSION}" >/dev/null && tar xzf htmx.org-*.tgz)
cp "$tmp/package/dist/htmx.min.js" "$dest/htmx.min.js"
echo "htmx ${HTMX_VERSION} -> $dest/htmx.min.js"
