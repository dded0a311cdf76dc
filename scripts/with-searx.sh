#!/usr/bin/env bash
# Run CMD with a real searx server (Debian `searx`) on 127.0.0.1, searching an
# offline sqlite FTS5 database of fixed documents written here.
#
#   scripts/with-searx.sh CMD [ARGS...]
#
# Exports OPENCLAW_TEST_SEARX_URL (http://127.0.0.1:PORT) and
# OPENCLAW_TEST_SEARX_DB (the database path) for CMD, then stops the server.
# Install searx first with `scripts/setup-engines.sh web`.
set -euo pipefail

log() { printf '[with-searx] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

(( $# > 0 )) || die "usage: scripts/with-searx.sh CMD [ARGS...]"
command -v searx-run >/dev/null 2>&1 || die "searx-run not found: run scripts/setup-engines.sh web"

work="$(mktemp -d "${TMPDIR:-/tmp}/openclaw-searx.XXXXXX")"
server_pid=""
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

db="$work/docs.db"
python3 - "$db" <<'PY'
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
connection.execute("CREATE VIRTUAL TABLE docs USING fts5(title, url, content)")
connection.executemany("INSERT INTO docs (title, url, content) VALUES (?, ?, ?)", [
    ("Sea otters hold hands", "https://docs.example/sea-otters",
     "Sea otters wrap themselves in kelp and hold hands while they sleep so they do not drift apart."),
    ("River otters of Europe", "https://docs.example/river-otters",
     "The Eurasian otter lives along rivers and lakes and eats mostly fish."),
    ("Rust ownership explained", "https://docs.example/rust",
     "Every value in Rust has a single owner; when the owner goes out of scope the value is dropped."),
])
connection.commit()
connection.close()
PY

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
cat > "$work/settings.yml" <<YAML
search: {}
server: {bind_address: 127.0.0.1, port: $port, secret_key: "openclaw-test-$(date +%s%N)", base_url: false}
ui: {static_path: /usr/share/python3-searx/static, templates_path: /usr/share/python3-searx/templates, default_theme: oscar}
outgoing: {request_timeout: 2.0}
locales: {en: English}
doi_resolvers: {oadoi.org: "https://oadoi.org/"}
default_doi_resolver: oadoi.org
engines:
  - {name: localdocs, engine: sqlite, shortcut: ld, database: $db, query_str: "SELECT title, url, content FROM docs WHERE docs MATCH :query ORDER BY rank"}
YAML

log "starting searx on 127.0.0.1:$port"
SEARX_SETTINGS_PATH="$work/settings.yml" searx-run >"$work/searx.log" 2>&1 &
server_pid=$!

url="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        cat "$work/searx.log" >&2
        die "searx exited during start-up"
    fi
    if python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1] + '/search?q=otters&format=json', timeout=1)" "$url" 2>/dev/null; then
        break
    fi
    sleep 0.1
done
python3 -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1] + '/search?q=otters&format=json', timeout=2)" "$url" \
    || { cat "$work/searx.log" >&2; die "searx did not become ready"; }
log "searx ready at $url"

export OPENCLAW_TEST_SEARX_URL="$url"
export OPENCLAW_TEST_SEARX_DB="$db"
status=0
"$@" || status=$?
exit "$status"
