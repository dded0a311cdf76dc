# Shared by the scripts/with-*.sh wrappers (sourced, not run): a free port,
# a readiness wait, and stopping the engine when the wrapped command ends.

CACHE="${OPENCLAW_DEV_CACHE:-$HOME/.cache/openclaw-dev}"
VENV="$CACHE/venv"
MODELS="$CACHE/models"

engine_log() { printf '[%s] %s\n' "$ENGINE_NAME" "$*" >&2; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_ready URL PID LOG: poll URL until it answers 200, the process dies, or 90 s pass.
wait_ready() {
    local url="$1" pid="$2" log="$3" waited=0
    until python3 - "$url" <<'PY' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
    do
        if ! kill -0 "$pid" 2>/dev/null; then
            engine_log "the engine exited before it was ready; its log:"
            cat "$log" >&2
            return 1
        fi
        sleep 0.2
        waited=$((waited + 1))
        if (( waited >= 450 )); then
            engine_log "not ready after 90 s; its log:"
            cat "$log" >&2
            return 1
        fi
    done
}

# stop_engine PID: TERM, then KILL after 5 s.
stop_engine() {
    local pid="$1" i
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 1 25); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
}
