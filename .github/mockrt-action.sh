#!/usr/bin/env bash
# The shell steps of action.yml, usable in any CI (tests/test_action.py runs them):
#
#   .github/mockrt-action.sh start   start `mockrt serve` in the background, wait for /healthz,
#                                    then print `export NAME=value` lines (eval them) and append
#                                    them to $GITHUB_ENV when GitHub Actions provides one
#   .github/mockrt-action.sh stop    stop the server started by `start` (SIGTERM, bounded wait)
#
# Configuration comes from the environment, as `mockrt serve` reads it: MOCKRT_PORT (default
# 8000; 0 picks a free one), MOCKRT_SCRIPT, MOCKRT_API_KEY, MOCKRT_JOURNAL (default
# $MOCKRT_DIR/mockrt-journal.jsonl), ...; MOCKRT_ARGS holds more `serve` options. MOCKRT_DIR (default $RUNNER_TEMP or /tmp) keeps the
# journal, the log and the pid; MOCKRT_WAIT_SECONDS (default 30) bounds the wait; MOCKRT_BIN
# (default `mockrt`) is the command.
set -euo pipefail

dir=${MOCKRT_DIR:-${RUNNER_TEMP:-/tmp}}
mkdir -p "$dir"
pidfile="$dir/mockrt.pid"

start() {
  export MOCKRT_PORT=${MOCKRT_PORT:-8000}
  export MOCKRT_JOURNAL=${MOCKRT_JOURNAL:-$dir/mockrt-journal.jsonl}
  local out="$dir/mockrt.out" log="$dir/mockrt.log" wait=${MOCKRT_WAIT_SECONDS:-30}
  : >"$out"
  # shellcheck disable=SC2086  # MOCKRT_ARGS are words on purpose
  ${MOCKRT_BIN:-mockrt} serve ${MOCKRT_ARGS:-} >"$out" 2>"$log" &
  echo $! >"$pidfile"
  local url="" tries=$((wait * 10))
  for ((i = 0; i < tries; i++)); do
    url=$(head -n 1 "$out")
    if [ -n "$url" ] && python3 - "$url" <<'PY'; then break; fi
import sys, urllib.request
host_port = sys.argv[1].split("//", 1)[1].split("/", 1)[0]
try:
    with urllib.request.urlopen(f"http://{host_port}/healthz", timeout=1) as response:
        sys.exit(0 if response.status == 200 else 1)
except OSError:
    sys.exit(1)
PY
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "mockrt serve exited before it was ready:" >&2
      cat "$log" >&2
      exit 1
    fi
    url=""
    sleep 0.1
  done
  if [ -z "$url" ]; then
    echo "mockrt serve was not ready after ${wait}s:" >&2
    cat "$log" >&2
    exit 1
  fi
  local host_port=${url#ws://}
  host_port=${host_port%%/*}
  local exports=(
    "MOCKRT_URL=ws://$host_port/v1/realtime"
    "MOCKRT_TRANSCRIPTION_URL=ws://$host_port/v1/realtime?intent=transcription"
    "OPENAI_WEBSOCKET_BASE_URL=ws://$host_port/v1"
    "OPENAI_BASE_URL=http://$host_port/v1"
    "MOCKRT_JOURNAL=$MOCKRT_JOURNAL"
    "MOCKRT_PID=$(cat "$pidfile")"
  )
  for line in "${exports[@]}"; do
    printf 'export %s=%q\n' "${line%%=*}" "${line#*=}"
    if [ -n "${GITHUB_ENV:-}" ]; then echo "$line" >>"$GITHUB_ENV"; fi
  done
}

stop() {
  [ -f "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$pidfile"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
