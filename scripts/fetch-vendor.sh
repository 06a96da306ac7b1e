#!/usr/bin/env bash
# Fetch htmx into casedesk/static/vendor (served to browsers) and axe-core into tests/browser/vendor
# (injected by the browser tests' accessibility audit, never served) from the npm registry. Neither
# is committed: they are other projects' code. Needs npm; Debian's package is installed when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
HTMX_VERSION=2.0.4
AXE_VERSION=4.14.1
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
(cd "$tmp" && rm -rf package && npm pack --silent "axe-core@${AXE_VERSION}" >/dev/null && tar xzf axe-core-*.tgz)
mkdir -p tests/browser/vendor
cp "$tmp/package/axe.min.js" tests/browser/vendor/axe.min.js
echo "axe-core ${AXE_VERSION} -> tests/browser/vendor/axe.min.js"
