#!/usr/bin/env python3
"""Benchmark `--batch` against the llama.cpp server: requests/s of

- `openclaw infer model run --batch FILE --concurrency C` (the thing measured);
- a plain load generator at the same concurrency: C Python threads posting
  the same chat request straight to the server (the ceiling);
- one `openclaw infer model run --prompt ...` process per request in a
  shell loop (what users do without `--batch`).

Run through the server wrapper with several slots, e.g.

    OPENCLAW_LLAMA_PARALLEL=4 scripts/with-llama-server.sh \
        scripts/bench-batch.py --requests 100 --concurrency 4

Build first: cargo build --release (or pass --binary target/debug/openclaw).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPT = "Is {n} even? Answer yes or no."


def config_text(url):
    return (
        '{ agents: { defaults: { model: "llama/smollm2" } },\n'
        '  models: { providers: { llama: { baseUrl: "%s/v1", api: "openai-completions",\n'
        '    streaming: false, models: [{ id: "smollm2", temperature: 0 }] } } } }\n' % url
    )


def sealed_env(home):
    env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "OPENCLAW_HOME": home,
           "NO_PROXY": "*"}
    return env


def run_batch(binary, env, requests, concurrency, home):
    path = os.path.join(home, "in.jsonl")
    with open(path, "w") as f:
        for n in range(requests):
            f.write(json.dumps({"id": n, "prompt": PROMPT.format(n=n)}) + "\n")
    started = time.monotonic()
    out = subprocess.run([binary, "infer", "model", "run", "--batch", path,
                          "--concurrency", str(concurrency)],
                         env=env, capture_output=True, text=True)
    took = time.monotonic() - started
    ok = sum(1 for line in out.stdout.splitlines() if json.loads(line).get("ok"))
    if ok != requests:
        sys.exit(f"--batch: {ok}/{requests} ok\n{out.stderr}")
    return requests / took


def run_load_generator(url, requests, concurrency):
    counter = iter(range(requests))
    lock = threading.Lock()
    failures = []

    def worker():
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            body = json.dumps({"model": "smollm2", "temperature": 0, "stream": False,
                               "messages": [{"role": "user", "content": PROMPT.format(n=n)}]})
            request = urllib.request.Request(f"{url}/v1/chat/completions", body.encode(),
                                             {"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    json.load(response)
            except Exception as error:  # noqa: BLE001 - a benchmark reports and goes on
                failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    if failures:
        sys.exit(f"load generator: {len(failures)} failures, first: {failures[0]}")
    return requests / took


def run_process_loop(binary, env, requests):
    script = 'for n in $(seq 1 %d); do "%s" infer model run --prompt "Reply with one word. ' \
             'What is $n plus 1?" >/dev/null || exit 1; done' % (requests, binary)
    started = time.monotonic()
    subprocess.run(["bash", "-c", script], env=env, check=True)
    return requests / (time.monotonic() - started)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--loop-requests", type=int, default=20,
                    help="requests for the one-process-per-request loop (it is slow)")
    ap.add_argument("--binary", default=os.path.join(HERE, "..", "target", "release", "openclaw"))
    args = ap.parse_args()

    url = os.environ.get("OPENCLAW_TEST_LLAMA_URL")
    if not url:
        sys.exit("OPENCLAW_TEST_LLAMA_URL is not set: run through scripts/with-llama-server.sh")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"no binary at {args.binary}: cargo build --release, or pass --binary")

    with tempfile.TemporaryDirectory() as home:
        os.makedirs(os.path.join(home, ".openclaw"))
        with open(os.path.join(home, ".openclaw", "openclaw.json"), "w") as f:
            f.write(config_text(url))
        env = sealed_env(home)
        # One warm-up request so neither side pays the first prompt's cost.
        run_load_generator(url, 2, 1)
        ceiling = run_load_generator(url, args.requests, args.concurrency)
        batch = run_batch(args.binary, env, args.requests, args.concurrency, home)
        loop = run_process_loop(args.binary, env, args.loop_requests)

    print(f"requests {args.requests}, concurrency {args.concurrency}")
    print(f"load generator (ceiling): {ceiling:7.2f} req/s")
    print(f"openclaw --batch:         {batch:7.2f} req/s  ({batch / ceiling:.0%} of the ceiling)")
    print(f"one process per request:  {loop:7.2f} req/s  (--batch is {batch / loop:.1f}x faster)")


if __name__ == "__main__":
    main()
