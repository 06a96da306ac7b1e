#!/usr/bin/env bash
# `make prod-local`: the production topology on one machine, against PostgreSQL and Redis on
# 127.0.0.1. Starts, in the background, with logs and pid files under var/prod-local/:
#   web      `casedesk web --workers 2`       (uvicorn, HTTP + websockets)
#   worker   2 x `casedesk worker`            (falls back to django-tasks-db's `db_worker`)
#   smtpd    `casedesk smtpd`                 (inbound mail; skipped if the command is missing)
#   mailsink a counting SMTP sink for outbound notification mail (there is no mail server here)
# Usage: scripts/prod-local.sh [start|stop|status|env]
# Knobs (environment): PROD_LOCAL_DB=casedesk_prod PROD_LOCAL_PORT=8400 PROD_LOCAL_RESET=0
#   PROD_LOCAL_WEB_WORKERS=2 PROD_LOCAL_TASK_WORKERS=2 PROD_LOCAL_SMTP_PORT=2625
#   PROD_LOCAL_SINK_PORT=2626 PROD_LOCAL_REDIS_DB=3 PROD_LOCAL_DIR=var/prod-local
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN="$ROOT/.venv/bin"
DIR="${PROD_LOCAL_DIR:-$ROOT/var/prod-local}"
DB="${PROD_LOCAL_DB:-casedesk_prod}"
PORT="${PROD_LOCAL_PORT:-8400}"
WEB_WORKERS="${PROD_LOCAL_WEB_WORKERS:-2}"
TASK_WORKERS="${PROD_LOCAL_TASK_WORKERS:-2}"
SMTP_PORT="${PROD_LOCAL_SMTP_PORT:-2625}"
SINK_PORT="${PROD_LOCAL_SINK_PORT:-2626}"
REDIS_DB="${PROD_LOCAL_REDIS_DB:-3}"
PIDS="$DIR/pids"
LOGS="$DIR/logs"

log() { echo "prod-local: $*" >&2; }

ensure_services() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    log "PostgreSQL is not answering on 127.0.0.1:5432; starting it."
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
    for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 || { log "PostgreSQL did not start; see its log under /var/log/postgresql/."; exit 1; }
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    log "Redis is not answering on 127.0.0.1:6379; starting it."
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.2; done
  fi
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { log "Redis did not start."; exit 1; }
}

write_env() {
  mkdir -p "$DIR" "$PIDS" "$LOGS" "$DIR/data"
  if [ ! -s "$DIR/secret_key" ]; then
    (umask 077; "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(50))' > "$DIR/secret_key")
  fi
  cat > "$DIR/env" <<ENV
# Source this file to run casedesk commands against the prod-local topology.
export DJANGO_SETTINGS_MODULE=casedesk.settings_production
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
export REDIS_URL=redis://127.0.0.1:6379/$REDIS_DB
export SECRET_KEY=$(cat "$DIR/secret_key")
export DEBUG=0
# A bounded connection pool per process (web: 2 workers x 20; see docs/deploy.md).
export DATABASE_POOL_MAX_SIZE=${PROD_LOCAL_DB_POOL:-20}
export CASEDESK_DEMO=0
export CASEDESK_EMBEDDED_WORKER=0
export CASEDESK_DATA_DIR=$DIR/data
export SITE_URL=http://127.0.0.1:$PORT
export ALLOWED_HOSTS=127.0.0.1,localhost
export CSRF_TRUSTED_ORIGINS=http://127.0.0.1:$PORT,http://localhost:$PORT
# Plain HTTP on loopback: no TLS redirect and no HSTS (a proxy terminates TLS in production).
export SECURE_SSL_REDIRECT=0
export SECURE_HSTS_SECONDS=0
export EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend
export EMAIL_HOST=127.0.0.1
export EMAIL_PORT=$SINK_PORT
export INBOUND_SMTP_HOST=127.0.0.1
export INBOUND_SMTP_PORT=$SMTP_PORT
export LOG_LEVEL=WARNING
export PROD_LOCAL_PORT=$PORT
ENV
}

is_running() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

launch() {  # launch NAME COMMAND...: own session (so stop can end its whole process group), own log
  local name=$1; shift
  if is_running "$PIDS/$name.pid"; then log "$name already running (pid $(cat "$PIDS/$name.pid"))"; return; fi
  setsid nohup "$@" >"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
  log "started $name (pid $!): $*"
}

has_command() { "$BIN/casedesk" help "$1" >/dev/null 2>&1; }

start() {
  ensure_services
  write_env
  # shellcheck disable=SC1091
  source "$DIR/env"
  if [ "${PROD_LOCAL_RESET:-0}" = 1 ]; then
    stop_all
    log "dropping database $DB (PROD_LOCAL_RESET=1)"
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" postgres
    redis-cli -h 127.0.0.1 -p 6379 -n "$REDIS_DB" flushdb >/dev/null
  fi
  if ! psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'" postgres | grep -q 1; then
    log "creating database $DB"
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DB" postgres
  fi
  "$BIN/casedesk" migrate --noinput -v 0
  "$BIN/casedesk" collectstatic --noinput -v 0

  launch mailsink "$BIN/python" -m bench.mailsink --port "$SINK_PORT" --count-file "$DIR/mailsink.count" \
    --keep-dir "$DIR/mailsink" --keep 20
  launch web "$BIN/casedesk" web --workers "$WEB_WORKERS" --host 127.0.0.1 --port "$PORT"
  local worker_cmd=("$BIN/casedesk" worker)
  if ! has_command worker; then
    log "\`casedesk worker\` does not exist yet; using django-tasks-db's \`casedesk db_worker\` instead."
    worker_cmd=("$BIN/casedesk" db_worker --queue-name '*' --no-reload --interval 0.1)
  fi
  for i in $(seq "$TASK_WORKERS"); do launch "worker-$i" "${worker_cmd[@]}"; done
  if has_command smtpd; then
    launch smtpd "$BIN/casedesk" smtpd --host 127.0.0.1 --port "$SMTP_PORT"
  else
    log "\`casedesk smtpd\` does not exist yet; inbound SMTP is not started."
  fi

  for _ in $(seq 120); do
    if curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1; then
      log "ready: http://127.0.0.1:$PORT  (readyz: $(curl -sS "http://127.0.0.1:$PORT/readyz"))"
      log "logs: $LOGS   env for commands: source $DIR/env   stop: scripts/prod-local-stop.sh"
      return 0
    fi
    is_running "$PIDS/web.pid" || break
    sleep 0.5
  done
  log "the web server did not become ready; last lines of $LOGS/web.log:"
  tail -n 30 "$LOGS/web.log" >&2 || true
  return 1
}

stop_one() {
  local pidfile=$1 name pid
  name=$(basename "$pidfile" .pid)
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name (pid $pid) did not stop in 10 s; killing it."
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

stop_all() {
  [ -d "$PIDS" ] || return 0
  # Web first so no new work arrives, then smtpd, then workers finish what they hold.
  for name in web smtpd; do [ -f "$PIDS/$name.pid" ] && stop_one "$PIDS/$name.pid"; done
  for pidfile in "$PIDS"/*.pid; do [ -e "$pidfile" ] && stop_one "$pidfile"; done
  return 0
}

status() {
  local any=1
  for pidfile in "$PIDS"/*.pid; do
    [ -e "$pidfile" ] || continue
    if is_running "$pidfile"; then echo "$(basename "$pidfile" .pid): running (pid $(cat "$pidfile"))"; any=0
    else echo "$(basename "$pidfile" .pid): not running"; fi
  done
  curl -sS "http://127.0.0.1:$PORT/readyz" 2>/dev/null && echo || echo "readyz: no answer on port $PORT"
  return $any
}

case "${1:-start}" in
  start) start ;;
  stop) stop_all ;;
  status) status ;;
  env) write_env; cat "$DIR/env" ;;
  *) echo "usage: $0 [start|stop|status|env]" >&2; exit 2 ;;
esac
