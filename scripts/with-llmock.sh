#!/usr/bin/env bash
# Run CMD with LLMock (PyPI `llmock`, an independent mock of OpenAI's API
# that keeps uploaded files and runs batch jobs line by line) on 127.0.0.1:
#
#   scripts/with-llmock.sh CMD [ARGS...]
#
# Answers echo the prompt ("Hello! You said: <prompt>"); a batch job reports
# `validating` for its first 3 s, then `completed` with its output file.
# Exports for CMD, then stops the server:
#   OPENCLAW_TEST_LLMOCK_URL=http://127.0.0.1:<port>   (no `/v1`)
# Install first: scripts/setup-engines.sh batch
set -euo pipefail
ENGINE_NAME=with-llmock
source "$(dirname "$0")/engine-common.sh"
LLMOCK_VENV="$CACHE/llmock-venv"

(( $# > 0 )) || { engine_log "usage: $0 CMD [ARGS...]"; exit 2; }
[[ -x "$LLMOCK_VENV/bin/llmock" ]] || { engine_log "llmock missing: run scripts/setup-engines.sh batch"; exit 1; }

port="$(free_port)"
log="$(mktemp)"
"$LLMOCK_VENV/bin/llmock" serve --host 127.0.0.1 --port "$port" \
    --response-style echo --log-level warning >"$log" 2>&1 &
pid=$!
trap 'stop_engine $pid; rm -f "$log"' EXIT
wait_ready "http://127.0.0.1:$port/v1/models" "$pid" "$log"
engine_log "ready on http://127.0.0.1:$port"
export OPENCLAW_TEST_LLMOCK_URL="http://127.0.0.1:$port"
"$@"
