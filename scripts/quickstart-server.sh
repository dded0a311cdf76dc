#!/usr/bin/env bash
# Build openclaw and run the main job against a real local model:
# a llama.cpp server (xllamacpp) serving SmolLM2-135M on 127.0.0.1.
#
#   scripts/quickstart-server.sh ["your prompt"]
#
# (The alternative to scripts/quickstart.sh, which runs the model in-process.)
#
# Your own ~/.openclaw config is not touched: the run uses a config under
# ~/.cache/openclaw-dev/quickstart/.
set -euo pipefail
cd "$(dirname "$0")/.."
prompt="${1:-What is the capital of France? Answer in one word.}"

scripts/setup-engines.sh chat
cargo build --release --locked >&2

dir="${OPENCLAW_DEV_CACHE:-$HOME/.cache/openclaw-dev}/quickstart"
mkdir -p "$dir"
export OPENCLAW_CONFIG_PATH="$dir/openclaw.json"
export QUICKSTART_PROMPT="$prompt"
scripts/with-llama-server.sh bash -c '
cat > "$OPENCLAW_CONFIG_PATH" <<JSON5
{
  // Written by scripts/quickstart.sh for the llama.cpp server it started.
  agents: { defaults: { model: "llama/smollm2" } },
  models: { providers: { llama: {
    baseUrl: "$OPENCLAW_TEST_LLAMA_URL/v1",
    api: "openai-completions",
    models: [{ id: "smollm2", name: "SmolLM2 135M Instruct", contextWindow: 8192, temperature: 0 }],
  } } },
}
JSON5
echo "+ openclaw infer model run --prompt \"$QUICKSTART_PROMPT\" --json" >&2
target/release/openclaw infer model run --prompt "$QUICKSTART_PROMPT" --json
'
