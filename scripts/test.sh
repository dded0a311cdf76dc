#!/usr/bin/env bash
# Run every test: install the real engines (cached), then the unit and
# integration tests with those engines running on loopback. A test that
# needs an engine fails here when the engine is missing.
#
# Two builds: the default one (pure Rust) runs everything; the
# `--features local-llm` one (in-process llama.cpp) runs the `local_`
# integration tests, which need that build.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-engines.sh
cargo fmt --check
cargo build --locked --tests

export OPENCLAW_REQUIRE_ENGINES=1
# The GGUF the in-process tests load (setup-engines.sh local puts it there).
export OPENCLAW_TEST_LOCAL_GGUF="${OPENCLAW_DEV_CACHE:-$HOME/.cache/openclaw-dev}/models/SmolLM2-135M-Instruct.Q4_1.gguf"
# Each wrapper starts one engine, exports its URL, and runs the rest.
scripts/with-llama-server.sh \
    cargo test --locked -- --test-threads 2

# In-process llama.cpp: build with the feature, run only the `local_` tests
# (integration tests and the engine's unit tests).
cargo test --locked --features local-llm local_ -- --test-threads 2
