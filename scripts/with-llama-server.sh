#!/usr/bin/env bash
# scripts/with-llama-server.sh CMD ARGS...
# Starts scripts/llama_server.py (xllamacpp + SmolLM2) on a free port, waits for READY,
# exports OPENCLAW_TEST_LLAMA_URL=http://127.0.0.1:<port>, runs CMD, stops the server
# on exit and returns CMD's exit status. Run scripts/setup-engines.sh chat first.
set -euo pipefail
(( $# > 0 )) || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${OPENCLAW_DEV_CACHE:-$HOME/.cache/openclaw-dev}"
PY="$CACHE/venv/bin/python"
[[ -x "$PY" ]] || { echo "no $PY: run scripts/setup-engines.sh chat" >&2; exit 2; }

TMP="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkfifo "$TMP/out"
# stdin from /dev/null would be EOF at once (the server quits on stdin EOF): keep a fifo open.
mkfifo "$TMP/in"
"$PY" "$HERE/llama_server.py" <"$TMP/in" >"$TMP/out" 2>"$TMP/server.log" &
SERVER_PID=$!
exec 8>"$TMP/in"   # hold the server's stdin open until this script exits
exec 9<"$TMP/out"
LINE=""
if ! read -r -t 90 LINE <&9 || [[ "$LINE" != READY\ * ]]; then
    echo "llama_server.py did not become ready; its log:" >&2
    tail -n 30 "$TMP/server.log" >&2 || true
    exit 1
fi
export OPENCLAW_TEST_LLAMA_URL="${LINE#READY }"
echo "[with-llama-server] $OPENCLAW_TEST_LLAMA_URL" >&2

set +e
"$@"
STATUS=$?
set -e
exit "$STATUS"
