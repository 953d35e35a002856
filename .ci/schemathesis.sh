#!/usr/bin/env bash
# Property-based run of the published OpenAPI document against a live engine (issue #9 §7):
# `galantis sandbox` (the engine with its demo tenant, fed data, and the Meta emulator
# behind it) on a free port and a temporary data dir; every operation, first with the
# tenant key, then with the operator token; no 5xx (but see the Meta-calling operations
# below) and no response that violates the document. Bounded in time (SCHEMATHESIS_SECONDS per run). Webhooks are signed (their
# tests are in tests/api), and deleting a tenant is left out: it would delete the demo
# tenant the rest of the run works on (and a request racing the deletion is a transient
# 503 by design). Needs the `galantis` binary
# (`cargo build`) and Schemathesis (pinned in .ci/requirements.txt, installed by .ci/setup).
set -euo pipefail
cd "$(dirname "$0")/.."
ST="${SCHEMATHESIS:-.ci/venv/bin/schemathesis}"
BIN="${GALANTIS_BIN:-target/debug/galantis}"
SECS="${SCHEMATHESIS_SECONDS:-60}"
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" sandbox --listen "127.0.0.1:$port" --data-dir "$dir/data" --customers 40 > "$dir/engine.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 600); do grep -q "^Serving until" "$dir/engine.log" && break; sleep 0.1; done
key=$(sed -n 's/^ *export KEY=//p' "$dir/engine.log" | head -1)
op=$(sed -n 's/^ *export GALANTIS_OPERATOR_TOKEN=//p' "$dir/engine.log" | head -1)
if [ -z "$key" ] || [ -z "$op" ]; then echo "the sandbox did not start:"; tail -20 "$dir/engine.log"; exit 1; fi
base="http://127.0.0.1:$port"
# Operations that call Meta answer 502 when Meta fails or is unreachable (documented); the
# emulator can drop a connection under load, so they are checked for conformance without
# the "no 5xx" check, in runs of their own.
proxy='^/api/v1/templates(/\{name\}|/sync)?$|^/api/v1/integrations/health/check$'
status=0
# One worker: with two threads, Python 3.11 has crashed inside Schemathesis's generator
# ("SystemError: AST constructor recursion depth mismatch"), failing the run for no fault of ours.
run() {
  "$ST" run "$base/api/v1/openapi.json" --url "$base" -H "Authorization: Bearer $1" \
    -H "X-Galantis-Shop: demo-store.myshopify.com" --workers 1 --suppress-health-check all \
    --request-timeout 10 --max-failures 50 "${@:2}" || status=1
}
for auth in "$key" "$op"; do
  run "$auth" --max-time "$SECS" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --exclude-path-regex "^/webhooks/|^/api/v1/tenants/\\{shop\\}$|$proxy"
  run "$auth" --max-time "$(( SECS / 4 + 1 ))" \
    --checks status_code_conformance,content_type_conformance,response_schema_conformance \
    --include-path-regex "$proxy"
done
if grep -q "panicked" "$dir/engine.log"; then echo "the engine panicked:"; grep -m5 panicked "$dir/engine.log"; status=1; fi
if [ "$status" != 0 ]; then echo "--- engine log (errors and warnings, last 40) ---"; grep -E "ERROR|WARN" "$dir/engine.log" | tail -40; fi
exit $status
