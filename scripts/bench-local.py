#!/usr/bin/env python3
"""Benchmark the in-process `local` provider against the llama.cpp server.

Same GGUF (SmolLM2-135M-Instruct Q4_1), same prompt, greedy, one thread:

- one-shot `openclaw infer model run --model local/... --json` (a whole
  process: load, prompt, answer, exit): wall, peak RSS, tokens/s;
- the llama.cpp server (`scripts/llama_server.py`, xllamacpp): cold start
  (process start until it answers), first request, warm requests, its RSS.

Usage: scripts/bench-local.py [--runs N] [--binary PATH] [--model GGUF]
Build first: cargo build --release --features local-llm
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

CACHE = os.environ.get("OPENCLAW_DEV_CACHE", os.path.expanduser("~/.cache/openclaw-dev"))
DEFAULT_MODEL = os.path.join(CACHE, "models", "SmolLM2-135M-Instruct.Q4_1.gguf")
PROMPT = "What is the capital of France? Answer in one word."
HERE = os.path.dirname(os.path.abspath(__file__))


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def one_shot(binary, model, env):
    """One `model run` process: wall s, peak RSS KiB (GNU time), envelope."""
    with tempfile.NamedTemporaryFile() as report:
        argv = ["/usr/bin/time", "-f", "%M", "-o", report.name, binary, "infer", "model", "run",
                "--model", f"local/{model}", "--prompt", PROMPT, "--json"]
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"openclaw exited {done.returncode}: {done.stdout[:400]!r} {done.stderr[:400]!r}")
        with open(report.name) as f:
            rss = int(f.read().split()[-1])
    return wall, rss, json.loads(done.stdout)


def chat(base):
    body = json.dumps({"model": "smollm2", "temperature": 0, "max_tokens": 1024,
                       "messages": [{"role": "user", "content": PROMPT}]}).encode()
    request = urllib.request.Request(f"{base}/v1/chat/completions", data=body,
                                     headers={"content-type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as r:
        answer = json.load(r)
    return time.perf_counter() - start, answer


def server_run(model, warm_runs):
    python = os.path.join(CACHE, "venv", "bin", "python")
    if not os.path.exists(python):
        sys.exit(f"no {python}: run scripts/setup-engines.sh chat")
    start = time.perf_counter()
    server = subprocess.Popen([python, os.path.join(HERE, "llama_server.py"), "--model", model],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    try:
        line = server.stdout.readline()
        ready = time.perf_counter() - start
        if not line.startswith("READY "):
            sys.exit(f"server did not start: {line!r}")
        base = line.split()[1]
        first, answer = chat(base)
        warm = [chat(base)[0] for _ in range(warm_runs)]
        rss = peak_rss_kib(server.pid)
    finally:
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    return ready, first, warm, rss, answer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--binary", default="target/release/openclaw")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    if not os.path.exists("/usr/bin/time"):
        sys.exit("needs GNU time for peak RSS: apt-get install -y time")
    if not os.path.isfile(args.model):
        sys.exit(f"no model {args.model}: run scripts/setup-engines.sh local")
    model = os.path.abspath(args.model)

    home = tempfile.mkdtemp(prefix="openclaw-bench-local-")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "OPENCLAW_HOME": home}

    one_shot(args.binary, model, env)  # warm the page cache
    walls, rss, rates, answers = [], [], [], set()
    for _ in range(args.runs):
        wall, peak, envelope = one_shot(args.binary, model, env)
        walls.append(wall * 1000)
        rss.append(peak)
        rates.append(envelope["timings"]["tokensPerSecond"])
        answers.add(envelope["outputs"][0]["text"])
        timings, usage = envelope["timings"], envelope["usage"]

    ready, first, warm, server_rss, answer = server_run(model, args.runs)
    server_tokens = answer.get("usage", {}).get("completion_tokens")
    warm_ms = [w * 1000 for w in warm]

    print(f"SmolLM2-135M Q4_1, 1 thread, greedy; prompt: {PROMPT!r}; {args.runs} runs")
    print(f"local one-shot answer(s): {sorted(answers)}")
    print(f"server answer: {answer['choices'][0]['message']['content']!r}")
    print()
    print(f"{'':34} {'median ms':>10} {'min ms':>8} {'peak RSS MB':>12} {'tok/s':>7}")
    print(f"{'openclaw local one-shot (process)':34} {statistics.median(walls):10.0f} {min(walls):8.0f} "
          f"{max(rss) / 1024:12.1f} {statistics.median(rates):7.1f}")
    print(f"{'  of which load / prompt':34} {timings['loadMs']:>10} {timings['promptMs']:>8}   "
          f"({usage['inputTokens']} prompt, {usage['outputTokens']} answer tokens)")
    print(f"{'llama.cpp server cold start':34} {ready * 1000:10.0f} {'':>8} {server_rss / 1024:12.1f}")
    print(f"{'  + first request':34} {first * 1000:10.0f}")
    print(f"{'  = cold start to first answer':34} {(ready + first) * 1000:10.0f}")
    rate = f"{server_tokens / (statistics.median(warm_ms) / 1000):7.1f}" if server_tokens else ""
    print(f"{'llama.cpp server warm request':34} {statistics.median(warm_ms):10.0f} {min(warm_ms):8.0f} "
          f"{'':>12} {rate}")


if __name__ == "__main__":
    main()
