#!/usr/bin/env bash
# Stops what `make prod-local` started (by the pid files under var/prod-local/pids).
exec "$(dirname "$0")/prod-local.sh" stop
