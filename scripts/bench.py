#!/usr/bin/env python3
"""Benchmark `openclaw infer model run --json` against curl.

Both send the same chat-completion request to the same loopback server in
the same run; we report median and p90 wall time, peak RSS, and the ratios.
Usage: scripts/bench.py [--runs N] [--binary PATH] [--stream]
"""
import argparse
import http.server
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ANSWER = {
    "id": "bench", "object": "chat.completion", "model": "m1",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "pong"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
}


def sse_body():
    chunks = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "po"}}]},
        {"choices": [{"index": 0, "delta": {"content": "ng"}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}},
    ]
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        if body.get("stream"):
            payload, kind = sse_body().encode(), "text/event-stream"
        else:
            payload, kind = json.dumps(ANSWER).encode(), "application/json"
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def measure(argv, env, runs):
    """Wall seconds and peak RSS (KiB) of each run of argv.

    Peak RSS comes from GNU time, not from wait4 here: a child forked from
    this Python process would report Python's own pages as its peak.
    """
    walls, rss = [], []
    with tempfile.NamedTemporaryFile() as report:
        for _ in range(runs):
            start = time.perf_counter()
            done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *argv],
                                  env=env, capture_output=True)
            walls.append(time.perf_counter() - start)
            if done.returncode != 0 or b"po" not in done.stdout:
                sys.exit(f"run failed: {argv[0]} exited {done.returncode}: {done.stdout[:300]!r} {done.stderr[:300]!r}")
            with open(report.name) as f:
                rss.append(int(f.read().split()[-1]))
    return walls, rss


def summary(name, walls, rss):
    walls_ms = sorted(w * 1000 for w in walls)
    p90 = walls_ms[int(len(walls_ms) * 0.9) - 1]
    return {"name": name, "median_ms": statistics.median(walls_ms), "p90_ms": p90,
            "peak_rss_mb": max(rss) / 1024}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--binary", default="target/release/openclaw")
    parser.add_argument("--stream", action="store_true", help="ask for an SSE answer")
    args = parser.parse_args()
    if not os.path.exists("/usr/bin/time"):
        sys.exit("needs GNU time for peak RSS: apt-get install -y time")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}/v1"

    home = tempfile.mkdtemp(prefix="openclaw-bench-")
    os.makedirs(f"{home}/.openclaw")
    streaming = "true" if args.stream else "false"
    with open(f"{home}/.openclaw/openclaw.json", "w") as f:
        f.write(f'{{models: {{providers: {{bench: {{baseUrl: "{base}", apiKey: "k", streaming: {streaming}, models: [{{id: "m1"}}]}}}}}}}}')
    env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "OPENCLAW_HOME": home, "NO_PROXY": "*"}

    request = {"model": "m1", "messages": [{"role": "user", "content": "ping"}]}
    if args.stream:
        request.update(stream=True, stream_options={"include_usage": True})
    curl = ["curl", "-sS", "--fail", "-H", "authorization: Bearer k", "-H", "content-type: application/json",
            "-d", json.dumps(request), f"{base}/chat/completions"]
    openclaw = [args.binary, "infer", "model", "run", "--model", "bench/m1", "--prompt", "ping", "--json"]

    measure(curl, env, 3)  # warm caches for both
    measure(openclaw, env, 3)
    rows = []
    # Interleave in blocks so drift in machine load hits both alike.
    curl_w, curl_r, oc_w, oc_r = [], [], [], []
    for _ in range(max(1, args.runs // 5)):
        w, r = measure(curl, env, 5); curl_w += w; curl_r += r
        w, r = measure(openclaw, env, 5); oc_w += w; oc_r += r
    rows = [summary("curl", curl_w, curl_r), summary("openclaw", oc_w, oc_r)]
    server.shutdown()

    mode = "stream" if args.stream else "plain"
    print(f"model run --json vs curl ({mode}, {len(curl_w)} runs each, loopback server)")
    print(f"{'':10} {'median ms':>10} {'p90 ms':>8} {'peak RSS MB':>12}")
    for row in rows:
        print(f"{row['name']:10} {row['median_ms']:10.2f} {row['p90_ms']:8.2f} {row['peak_rss_mb']:12.1f}")
    ratio = rows[1]["median_ms"] / rows[0]["median_ms"]
    print(f"ratio openclaw/curl: wall {ratio:.2f}x (target <= 1.3x), "
          f"RSS {rows[1]['peak_rss_mb'] / rows[0]['peak_rss_mb']:.2f}x "
          f"(openclaw {rows[1]['peak_rss_mb']:.1f} MB, target < 15 MB)")


if __name__ == "__main__":
    main()
