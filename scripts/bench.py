#!/usr/bin/env python3
"""Paired benchmark of openclaw against curl, aichat and the exec floor.

Every comparison runs both sides against the same loopback server in the
same run, interleaved in blocks of five so drift in machine load hits both
alike; we report median and p90 wall time, peak RSS and the ratio of
medians. The request cases also run /bin/true in the same rounds (the exec
floor: fork, exec and GNU time, paid by every side alike) and give a second
ratio, "net", of the time above that floor. Cases:

  model run --json (non-streaming) and streaming text, over HTTP and over
  HTTPS (a loopback TLS server with a test CA: curl gets --cacert, openclaw
  and aichat SSL_CERT_FILE), each vs curl and vs aichat 0.30.0;
  a 5 MiB prompt vs curl sending the same body;
  --help and infer list --json vs /bin/true;
  model list --json with a 4,000-model config vs /bin/true;
  syscall counts (strace -c) of one HTTP and one HTTPS run.

aichat is installed with `cargo install --locked aichat@0.30.0` into
~/.cache/openclaw-dev/aichat when absent; if that fails its rows are skipped.

Usage: scripts/bench.py [--runs N] [--binary PATH] [--baseline PATH] [--no-aichat]
  --baseline PATH: another openclaw binary (say, an older build) whose
  syscall counts are shown beside this one's.
"""
import argparse
import http.server
import json
import os
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

AICHAT_VERSION = "0.30.0"
AICHAT_ROOT = os.path.expanduser("~/.cache/openclaw-dev/aichat")
AICHAT = os.path.join(AICHAT_ROOT, "bin", "aichat")

ANSWER = json.dumps({
    "id": "bench", "object": "chat.completion", "model": "m1",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "pong"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
}).encode()


def sse_body():
    chunks = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "po"}}]},
        {"choices": [{"index": 0, "delta": {"content": "ng"}, "finish_reason": "stop"}]},
        {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}},
    ]
    return ("".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n").encode()


SSE = sse_body()
STREAM_FLAG = re.compile(rb'"stream"\s*:\s*true')


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The answer leaves in one write (flushed after each request) on a
    # socket without Nagle's delay: otherwise, once a TLS handshake has
    # used up the client's quick ACKs, the body waits for a delayed ACK
    # (some 40 ms on Linux) and the server, not the client, is measured.
    wbufsize = -1

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_expect_100(self):
        # curl asks before sending a body over 1 MiB; buffered, the
        # `100 Continue` would sit here until curl gives up waiting (1 s).
        super().handle_expect_100()
        self.wfile.flush()
        return True

    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        body = self.rfile.read(length)
        # No JSON parse: a 5 MiB body would cost the server more than the clients.
        if STREAM_FLAG.search(body[:256]) or STREAM_FLAG.search(body[-256:]):
            payload, kind = SSE, "text/event-stream"
        else:
            payload, kind = ANSWER, "application/json"
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def serve(tls_context=None):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls_context is not None:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_test_ca(directory):
    """A CA and a `localhost` leaf signed by it, with the openssl CLI."""
    def run(*argv):
        subprocess.run(["openssl", *argv], check=True, capture_output=True, cwd=directory)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=openclaw bench CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=localhost")
    with open(os.path.join(directory, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "leaf.pem", "-days", "2", "-extfile", "san.ext")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(directory, "leaf.pem"), os.path.join(directory, "leaf.key"))
    return os.path.join(directory, "ca.pem"), context


def ensure_aichat():
    if os.path.exists(AICHAT):
        return AICHAT
    print(f"installing aichat {AICHAT_VERSION} into {AICHAT_ROOT} (takes a while)...", file=sys.stderr)
    done = subprocess.run(["cargo", "install", "--locked", f"aichat@{AICHAT_VERSION}", "--root", AICHAT_ROOT])
    if done.returncode != 0 or not os.path.exists(AICHAT):
        print("aichat could not be installed: its rows are skipped", file=sys.stderr)
        return None
    return AICHAT


def measure(argv, env, runs, expect):
    """Wall seconds and peak RSS (KiB) of each run of argv.

    Peak RSS comes from GNU time, not from wait4 here: a child forked from
    this Python process would report Python's own pages as its peak.
    """
    walls, rss = [], []
    with tempfile.NamedTemporaryFile() as report:
        for _ in range(runs):
            start = time.perf_counter()
            done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *argv],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL)
            walls.append(time.perf_counter() - start)
            if done.returncode != 0 or expect not in done.stdout:
                sys.exit(f"run failed: {' '.join(argv)[:200]} exited {done.returncode}: "
                         f"{done.stdout[:300]!r} {done.stderr[:300]!r}")
            with open(report.name) as f:
                rss.append(int(f.read().split()[-1]))
    return walls, rss


def stats(walls, rss):
    ms = sorted(w * 1000 for w in walls)
    return {"median": statistics.median(ms), "p90": ms[max(0, int(len(ms) * 0.9) - 1)],
            "rss": max(rss) / 1024}


FLOOR = "exec floor (/bin/true)"


def paired(sides, runs, expect=b"pong", floor=False):
    """sides: [(name, argv, env)]; the first is the baseline of the ratios.

    With floor, /bin/true runs as one more side in the same rounds: what
    any process costs here (fork, exec, GNU time, this script), so the
    report can also give ratios of the time above it.
    """
    sides = [(name, argv, env, expect) for name, argv, env in sides]
    if floor:
        sides.append((FLOOR, ["/bin/true"], sides[0][2], b""))
    for _, argv, env, want in sides:
        measure(argv, env, 2, want)  # warm caches
    results = {name: ([], []) for name, _, _, _ in sides}
    for _ in range(max(1, runs // 5)):
        for name, argv, env, want in sides:
            w, r = measure(argv, env, 5, want)
            results[name][0].extend(w)
            results[name][1].extend(r)
    return [(name, stats(*results[name])) for name, _, _, _ in sides]


def report(title, rows, baseline_index=0):
    """Ratios of medians to the baseline; with an exec-floor row, also the
    ratio of the time above the floor ("net")."""
    print(f"\n{title}")
    floor = next((s["median"] for name, s in rows if name == FLOOR), None)
    net_head = f" {'net':>6}" if floor is not None else ""
    print(f"  {'':26} {'median ms':>10} {'p90 ms':>8} {'peak RSS MiB':>13} {'ratio':>7}{net_head}")
    base = rows[baseline_index][1]["median"]
    for name, s in rows:
        net = ""
        if floor is not None and name != FLOOR and base > floor:
            net = f" {(s['median'] - floor) / (base - floor):5.2f}x"
        print(f"  {name:26} {s['median']:10.2f} {s['p90']:8.2f} {s['rss']:13.1f} "
              f"{s['median'] / base:6.2f}x{net}")


def syscalls(argv, env):
    """(total syscalls, files opened under /etc/ssl or named *.pem/*.crt) of one run."""
    with tempfile.TemporaryDirectory() as scratch:
        counts, trace = os.path.join(scratch, "c"), os.path.join(scratch, "t")
        subprocess.run(["strace", "-f", "-c", "-o", counts, *argv], env=env, capture_output=True)
        subprocess.run(["strace", "-f", "-e", "trace=open,openat", "-o", trace, *argv],
                       env=env, capture_output=True)
        with open(counts) as f:
            total = next((int(line.split()[3]) for line in f if line.rstrip().endswith("total")), 0)
        with open(trace) as f:
            certs = sum(1 for line in f if re.search(r'"(/etc/ssl/[^"]*|[^"]*\.(pem|crt))"', line)
                        and "ENOENT" not in line)
    return total, certs


def write_config(home, providers, extra=""):
    os.makedirs(f"{home}/.openclaw", exist_ok=True)
    with open(f"{home}/.openclaw/openclaw.json", "w") as f:
        f.write(json.dumps({"models": {"providers": providers}}) if not extra else extra)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--binary", default="target/release/openclaw")
    parser.add_argument("--baseline", help="another openclaw binary for the syscall table")
    parser.add_argument("--no-aichat", action="store_true")
    args = parser.parse_args()
    if not os.path.exists("/usr/bin/time"):
        sys.exit("needs GNU time for peak RSS: apt-get install -y time")
    binary = os.path.abspath(args.binary)
    aichat = None if args.no_aichat else ensure_aichat()

    scratch = tempfile.mkdtemp(prefix="openclaw-bench-")
    ca_pem, tls_context = make_test_ca(scratch)
    plain = serve()
    secure = serve(tls_context)
    http_base = f"http://127.0.0.1:{plain.server_port}/v1"
    https_base = f"https://localhost:{secure.server_port}/v1"

    home = os.path.join(scratch, "home")
    providers = {}
    for name, base in [("plain", http_base), ("secure", https_base)]:
        for streaming in (False, True):
            providers[name + ("s" if streaming else "")] = {
                "baseUrl": base, "apiKey": "k", "streaming": streaming, "models": [{"id": "m1"}]}
    write_config(home, providers)
    # The machine's own SSL_* variables stay out: each side is told its CA explicitly.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "OPENCLAW_HOME": home, "NO_PROXY": "*"}
    tls_env = dict(env, SSL_CERT_FILE=ca_pem)

    aichat_env = tls_aichat_env = None
    if aichat:
        config_dir = os.path.join(scratch, "aichat")
        os.makedirs(config_dir)
        with open(os.path.join(config_dir, "config.yaml"), "w") as f:
            f.write("save: false\nhighlight: false\nclients:\n")
            for name, base in [("plain", http_base), ("secure", https_base)]:
                f.write(f"  - type: openai-compatible\n    name: {name}\n    api_base: {base}\n"
                        f"    api_key: k\n    models:\n      - name: m1\n")
        aichat_env = dict(env, AICHAT_CONFIG_DIR=config_dir)
        tls_aichat_env = dict(aichat_env, SSL_CERT_FILE=ca_pem)

    def run_cmd(provider, stream):
        argv = [binary, "infer", "model", "run", "--model", f"{provider}{'s' if stream else ''}/m1",
                "--prompt", "ping"]
        return argv if stream else argv + ["--json"]

    def curl_cmd(base, stream, extra=()):
        request = {"model": "m1", "messages": [{"role": "user", "content": "ping"}]}
        if stream:
            request.update(stream=True, stream_options={"include_usage": True})
        return ["curl", "-sS", "--fail", *(["-N"] if stream else []), *extra,
                "-H", "authorization: Bearer k", "-H", "content-type: application/json",
                "-d", json.dumps(request), f"{base}/chat/completions"]

    print(f"openclaw {binary}; {args.runs} runs a side; loopback servers; "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    for transport, base, oc_env, ai_env, curl_extra in [
        ("HTTP", http_base, env, aichat_env, ()),
        ("HTTPS", https_base, tls_env, tls_aichat_env, ("--cacert", ca_pem)),
    ]:
        provider = "plain" if transport == "HTTP" else "secure"
        for stream in (False, True):
            sides = [("curl", curl_cmd(base, stream, curl_extra), env),
                     ("openclaw", run_cmd(provider, stream), oc_env)]
            if aichat:
                sides.append(("aichat", [aichat, "-m", f"{provider}:m1",
                                         *([] if stream else ["-S"]), "ping"], ai_env))
            mode = "streaming text" if stream else "model run --json"
            rows = paired(sides, args.runs, expect=b"po" if stream else b"pong", floor=True)
            report(f"{mode} over {transport} (baseline curl)", rows)
            if aichat:
                oc, ai = rows[1][1]["median"], rows[2][1]["median"]
                print(f"  openclaw/aichat: {oc / ai:.2f}x")

    # 5 MiB prompt: the same body from curl (read from a file) and openclaw.
    prompt_file = os.path.join(scratch, "prompt.txt")
    with open(prompt_file, "w") as f:
        f.write(("lorem ipsum dolor sit amet " * 40 + "\n") * (5 * 1024 * 1024 // 1081))
    body_file = os.path.join(scratch, "body.json")
    with open(prompt_file) as f:
        body = {"model": "m1", "messages": [{"role": "user", "content": f.read()}]}
    with open(body_file, "w") as f:
        json.dump(body, f)
    big = paired([
        ("curl --data-binary @5MiB", ["curl", "-sS", "--fail", "-H", "authorization: Bearer k",
                                      "-H", "content-type: application/json",
                                      "--data-binary", f"@{body_file}", f"{http_base}/chat/completions"], env),
        ("openclaw --prompt @5MiB", [binary, "infer", "model", "run", "--model", "plain/m1",
                                     "--prompt", f"@{prompt_file}", "--json"], env),
    ], max(5, args.runs // 3), floor=True)
    report("5 MiB prompt over HTTP (baseline curl)", big)

    floor = ("/bin/true", ["/bin/true"], env)
    report("--help (baseline exec floor)", paired([floor, ("openclaw --help", [binary, "--help"], env)],
                                                    args.runs, expect=b""))
    report("infer list --json (baseline exec floor)",
           paired([floor, ("openclaw infer list --json", [binary, "infer", "list", "--json"], env)],
                  args.runs, expect=b""))

    big_home = os.path.join(scratch, "big-home")
    many = {f"p{p}": {"baseUrl": http_base, "apiKey": "k",
                      "models": [{"id": f"model-{p}-{m}", "name": f"Model {p}.{m}", "contextWindow": 128000}
                                 for m in range(100)]} for p in range(40)}
    write_config(big_home, many)
    big_env = dict(env, HOME=big_home, OPENCLAW_HOME=big_home)
    report("model list --json, 4,000 models (baseline exec floor)",
           paired([floor, ("openclaw model list --json", [binary, "infer", "model", "list", "--json"], big_env)],
                  args.runs, expect=b""))

    if shutil.which("strace"):
        print("\nsyscalls of one run (strace -f -c; cert files = files opened under /etc/ssl or *.pem/*.crt)")
        binaries = [("this build", binary)] + ([("baseline", os.path.abspath(args.baseline))] if args.baseline else [])
        machine = {k: os.environ[k] for k in ("SSL_CERT_FILE", "SSL_CERT_DIR") if k in os.environ}
        cases = [("HTTP", "plain", env, "no SSL_* set"),
                 ("HTTP", "plain", dict(env, **machine), "machine SSL_CERT_FILE/DIR"),
                 ("HTTPS", "secure", tls_env, "SSL_CERT_FILE=test CA")]
        for label, path in binaries:
            for transport, provider, run_env, variables in cases:
                argv = [path, "infer", "model", "run", "--model", f"{provider}/m1", "--prompt", "ping", "--json"]
                total, certs = syscalls(argv, run_env)
                print(f"  {label:10} {transport:5} {variables:28} {total:6} syscalls, {certs:4} cert files opened")
    plain.shutdown()
    secure.shutdown()
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
