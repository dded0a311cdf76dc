#!/usr/bin/env python3
"""Time `openclaw infer model run --gateway` (this tool) against the reference CLI on the
same warm gateway, and the same for `tts status`; print medians and the ratio.

Run it inside the wrappers, which start the llama.cpp server and the gateway:

    cargo build --release
    scripts/with-llama-server.sh scripts/with-gateway.sh scripts/bench-gateway.py [--runs N] [--bin PATH]

Both tools get the same arguments, HOME-less environment and gateway port/token. Each
run's stdout must parse as JSON with ok != false, so a failing run is not timed as fast.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPT = "What is the capital of France? Answer in one word."


def need(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{name} is not set: run inside scripts/with-gateway.sh")
    return value


def timed(command, env):
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    try:
        document = json.loads(done.stdout)
    except json.JSONDecodeError:
        sys.exit(f"not JSON from {command[:3]}...: {done.stdout[:300]!r} {done.stderr[-300:]!r}")
    if done.returncode != 0 or document.get("ok") is False:
        sys.exit(f"failed ({done.returncode}): {done.stdout[:300]}")
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "openclaw"))
    args = parser.parse_args()
    port, token = need("OPENCLAW_TEST_GATEWAY_PORT"), need("OPENCLAW_TEST_GATEWAY_TOKEN")
    node, cli = need("OPENCLAW_TEST_GATEWAY_NODE"), need("OPENCLAW_TEST_GATEWAY_CLI")
    home = tempfile.mkdtemp(prefix="bench-gateway-")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "NO_COLOR": "1",
           "OPENCLAW_GATEWAY_PORT": port, "OPENCLAW_GATEWAY_TOKEN": token}
    cases = [
        ("model run", ["infer", "model", "run", "--gateway", "--json", "--prompt", PROMPT]),
        ("tts status", ["infer", "tts", "status", "--gateway", "--json"]),
    ]
    # One untimed call each warms the gateway's model and caches.
    for _, argv in cases:
        timed([args.bin] + argv, env)
    print(f"{'command':12} {'openclaw (Rust)':>16} {'reference (node)':>17} {'ratio':>8}")
    for name, argv in cases:
        ours = [timed([args.bin] + argv, env) for _ in range(args.runs)]
        theirs = [timed([node, cli] + argv, env) for _ in range(args.runs)]
        a, b = statistics.median(ours), statistics.median(theirs)
        print(f"{name:12} {a:15.3f}s {b:16.3f}s {b / a:7.1f}x")


if __name__ == "__main__":
    main()
