#!/usr/bin/env bash
# Build openclaw with the in-process llama.cpp engine, fetch a small model
# (SmolLM2-135M-Instruct, GGUF) and ask it one question: no server, no key.
#
#   scripts/quickstart.sh ["your prompt"]
#
# The model goes to $OPENCLAW_STATE_DIR/models/ (default ~/.openclaw/models/),
# where `openclaw infer model list` shows it as local/SmolLM2-135M-Instruct.Q4_1.
# Needs cmake and libclang-dev to build (installed here with apt-get when
# missing). Progress goes to stderr; stdout is the answer's JSON envelope.
set -euo pipefail
cd "$(dirname "$0")/.."
prompt="${1:-What is the capital of France? Answer in one word.}"

scripts/setup-engines.sh local
cargo build --release --locked --features local-llm >&2
scripts/fetch-local-model.sh >/dev/null

echo "+ openclaw infer model run --model local/SmolLM2-135M-Instruct.Q4_1 --prompt \"$prompt\" --json" >&2
target/release/openclaw infer model run --model local/SmolLM2-135M-Instruct.Q4_1 \
    --prompt "$prompt" --json
