#!/usr/bin/env bash
# The browser tests drive Debian's Chromium through Playwright (executable_path=/usr/bin/chromium);
# Playwright cannot download its own browser here. Install Debian's package when missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
echo "Installing Debian's chromium for the browser tests..." >&2
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version
