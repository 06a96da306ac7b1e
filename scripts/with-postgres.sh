#!/usr/bin/env bash
# Run a command with DATABASE_URL pointing at PostgreSQL.
# Uses the server on 127.0.0.1:5432 when it is up; otherwise, if PostgreSQL is installed,
# starts a throwaway cluster in a temporary folder and removes it afterwards.
set -euo pipefail
PGHOST_ADDR=127.0.0.1
if pg_isready -q -h "$PGHOST_ADDR" -p 5432 2>/dev/null; then
  export DATABASE_URL="${CASEDESK_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  echo "PostgreSQL: using the server on 127.0.0.1:5432" >&2
  exec "$@"
fi
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  if [ "${CI:-}" = "true" ] && [ "${CASEDESK_REQUIRE_POSTGRES:-1}" = "1" ]; then
    echo "PostgreSQL is neither running on 127.0.0.1:5432 nor installed, and CI must run the PostgreSQL suite." >&2
    exit 1
  fi
  echo "SKIPPED: the PostgreSQL suite. PostgreSQL is neither running on 127.0.0.1:5432 nor installed;" >&2
  echo "         install it (apt-get install postgresql) to run it." >&2
  exit 0
fi
tmp=$(mktemp -d)
port=55432
run_as=""
if [ "$(id -u)" = 0 ]; then
  chown postgres "$tmp" 2>/dev/null && run_as="runuser -u postgres --"
fi
cleanup() { $run_as "$bindir/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT
$run_as "$bindir/initdb" -A trust -U postgres -D "$tmp/data" >/dev/null
$run_as "$bindir/pg_ctl" -D "$tmp/data" -o "-p $port -k $tmp -h 127.0.0.1" -l "$tmp/log" -w start >/dev/null
echo "PostgreSQL: started a throwaway cluster on 127.0.0.1:$port" >&2
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
"$@"
