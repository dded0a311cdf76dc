#!/usr/bin/env python3
"""Start a real llama.cpp chat server (xllamacpp) on 127.0.0.1 for openclaw's tests.

Run it with the venv made by scripts/setup-engines.sh:

    ~/.cache/openclaw-dev/venv/bin/python scripts/llama_server.py [--port P] [--model GGUF]

Once GET /v1/models answers it prints exactly one line to stdout,
``READY http://127.0.0.1:<port>``, then serves until its stdin closes or it
gets SIGTERM/SIGINT. llama.cpp's own logging goes to stderr.
"""
import argparse
import os
import select
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

DEFAULT_MODEL = os.path.join(
    os.environ.get("OPENCLAW_DEV_CACHE", os.path.expanduser("~/.cache/openclaw-dev")),
    "models",
    "SmolLM2-135M-Instruct.Q4_1.gguf",
)
READY_TIMEOUT_S = 60.0


def log(msg):
    print(f"[llama_server] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base, deadline):
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/v1/models", timeout=2) as r:
                if r.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.1)
    return False


def wait_for_end(stop):
    """Block until stdin reaches EOF (or errors) or `stop` is set by a signal."""
    fd = sys.stdin.fileno() if sys.stdin is not None else None
    while not stop.is_set():
        if fd is None:
            stop.wait(0.5)
            continue
        try:
            readable, _, _ = select.select([fd], [], [], 0.5)
        except (OSError, ValueError):
            return
        if readable:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            if not data:  # EOF: the parent dropped our stdin
                return


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0, help="0 or omitted: pick a free port")
    ap.add_argument("--model", default=DEFAULT_MODEL, help="GGUF file (default: %(default)s)")
    ap.add_argument("--n-predict", type=int, default=256,
                    help="default token cap when a request sends no max_tokens (-1 = none; "
                         "SmolLM2 can otherwise run on to the 8192-token context, ~10 min)")
    ap.add_argument("--parallel", type=int,
                    default=int(os.environ.get("OPENCLAW_LLAMA_PARALLEL", "1") or "1"),
                    help="request slots served at once (env OPENCLAW_LLAMA_PARALLEL; "
                         "default %(default)s); all slots share one decode thread")
    args = ap.parse_args()

    if not (os.path.isfile(args.model) and os.path.getsize(args.model) > 0):
        log(f"model not found: {args.model} (run scripts/setup-engines.sh chat)")
        return 2

    stop = threading.Event()

    def on_signal(signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    import xllamacpp

    port = args.port or free_port()
    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_parallel = max(1, args.parallel)
    params.cpuparams.n_threads = 1  # one thread: 2 threads on 2 cores is far slower
    params.cpuparams_batch.n_threads = 1
    params.n_predict = args.n_predict
    # Render the GGUF's own Jinja chat template (SmolLM2's ChatML, with its default
    # system prompt), which is what /v1/chat/completions and /v1/messages use.
    params.use_jinja = True
    params.enable_chat_template = True
    params.chat_template = ""  # "" = the template embedded in the GGUF

    log(f"starting xllamacpp {getattr(xllamacpp, '__version__', '')} on 127.0.0.1:{port} "
        f"with {args.model}")
    server = xllamacpp.Server(params)  # listens in background threads
    base = f"http://127.0.0.1:{port}"
    if not wait_ready(base, time.monotonic() + READY_TIMEOUT_S):
        log(f"server did not answer {base}/v1/models within {READY_TIMEOUT_S:.0f} s")
        os._exit(1)

    sys.stdout.write(f"READY {base}\n")
    sys.stdout.flush()

    wait_for_end(stop)
    log("stopping")
    del server
    # llama.cpp's server threads may not all join quickly: leave without waiting for them.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
