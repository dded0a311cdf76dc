#!/usr/bin/env bash
# scripts/setup-llmock.sh: install LLMock (PyPI `llmock`, a mock server for
# OpenAI and other LLM APIs that keeps uploaded files and runs each line of a
# batch job) into its own venv, ~/.cache/openclaw-dev/llmock-venv, for the
# OpenAI Batch end-to-end test (scripts/with-llmock.sh). Its own venv because
# it brings its own FastAPI and uvicorn, which must not move the versions the
# engines in the shared venv were installed with. Idempotent: a second run
# only checks the pinned versions. Progress goes to stderr; stdout stays empty.
set -euo pipefail

# The server and the two packages its routes and startup depend on.
LLMOCK_VERSION="0.2.2"
FASTAPI_VERSION="0.165.0"
UVICORN_VERSION="0.54.0"

CACHE="${OPENCLAW_DEV_CACHE:-$HOME/.cache/openclaw-dev}"
VENV="$CACHE/llmock-venv"

log() { printf '[setup-llmock] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

installed() {  # installed: exit 0 when every pinned version is in the venv
    [[ -x "$VENV/bin/python" && -x "$VENV/bin/llmock" ]] || return 1
    "$VENV/bin/python" - "$LLMOCK_VERSION" "$FASTAPI_VERSION" "$UVICORN_VERSION" <<'PY' >/dev/null 2>&1
import importlib.metadata as md, sys
wanted = dict(zip(("llmock", "fastapi", "uvicorn"), sys.argv[1:]))
sys.exit(0 if all(md.version(name) == version for name, version in wanted.items()) else 1)
PY
}

if installed; then
    log "llmock $LLMOCK_VERSION already in $VENV"
    exit 0
fi
# Another setup run may be installing it right now: wait instead of racing it.
waited=0
while pgrep -f -- "pip install.*llmock==" >/dev/null 2>&1; do
    (( waited == 0 )) && log "waiting for a running 'pip install llmock' to finish..."
    sleep 2
    waited=$((waited + 2))
    (( waited < 600 )) || die "'pip install llmock' still running after ${waited}s"
done
if installed; then
    log "llmock $LLMOCK_VERSION already in $VENV"
    exit 0
fi
if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating venv $VENV"
    mkdir -p "$CACHE"
    python3 -m venv "$VENV" >&2
fi
log "pip install llmock==$LLMOCK_VERSION"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    "llmock==$LLMOCK_VERSION" "fastapi==$FASTAPI_VERSION" "uvicorn[standard]==$UVICORN_VERSION" >&2
installed || die "llmock $LLMOCK_VERSION not installed in $VENV after pip install"
log "ready in $VENV"
