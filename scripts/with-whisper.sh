#!/usr/bin/env bash
# Run CMD with a real faster-whisper-server (Whisper tiny.en, OpenAI
# `/v1/audio/transcriptions`) on 127.0.0.1, one CPU thread:
#
#   scripts/with-whisper.sh CMD [ARGS...]
#
# Exports for CMD:
#   OPENCLAW_TEST_WHISPER_URL=http://127.0.0.1:<port>   (no `/v1`)
#   OPENCLAW_TEST_PIPER_BIN / OPENCLAW_TEST_PIPER_VOICE  (when the tts group is
#     installed: the speech -> transcription round trip uses them)
# then stops the server. Install first: scripts/setup-engines.sh audio tts
set -euo pipefail
ENGINE_NAME=with-whisper
source "$(dirname "$0")/engine-common.sh"

(( $# > 0 )) || { engine_log "usage: $0 CMD [ARGS...]"; exit 2; }
server="$VENV/bin/faster-whisper-server"
model="$MODELS/whisper-tiny.en"
[[ -x "$server" && -s "$model/model.bin" ]] || { engine_log "whisper missing: run scripts/setup-engines.sh audio"; exit 1; }

work="$(mktemp -d)"
# The server reads the form field `model_name` (default `whisper-1`), so the
# one model entry carries that name.
cat >"$work/fws.yaml" <<YAML
models:
  - name: whisper-1
    path: $model
    model_options: {device: cpu, compute_type: int8, cpu_threads: 1, num_workers: 1}
YAML
port="$(free_port)"
(cd "$work" && HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 \
    exec "$server" --config "$work/fws.yaml" --host 127.0.0.1 --port "$port") >"$work/log" 2>&1 &
pid=$!
trap 'stop_engine $pid; rm -rf "$work"' EXIT
wait_ready "http://127.0.0.1:$port/health" "$pid" "$work/log"
engine_log "ready on http://127.0.0.1:$port"
export OPENCLAW_TEST_WHISPER_URL="http://127.0.0.1:$port"
if [[ -x "$VENV/bin/piper" && -s "$MODELS/en_US-joe-medium.onnx" ]]; then
    export OPENCLAW_TEST_PIPER_BIN="$VENV/bin/piper"
    export OPENCLAW_TEST_PIPER_VOICE="$MODELS/en_US-joe-medium.onnx"
fi
"$@"
