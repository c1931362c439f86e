#!/usr/bin/env bash
# The installed extension is enabled and OK on both sides, and an auth-enforcing server
# raises no JupyterServerAuthWarning (every handler is authenticated).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }

strip() { sed 's/\x1b\[[0-9;]*m//g'; }

server=$(jupyter server extension list 2>&1 | strip)
echo "$server" | grep -qE "jupyter_kfp_connect enabled" \
  && echo "$server" | grep -qE "jupyter_kfp_connect [0-9][^ ]* OK" \
  || { echo "$server"; fail "server extension jupyter_kfp_connect is not enabled and OK"; }
echo "ok: server extension enabled"

lab=$(jupyter labextension list 2>&1 | strip)
echo "$lab" | grep -E "jupyter-kfp-connect v[0-9.]+ enabled" | grep -q "OK" \
  || { echo "$lab"; fail "labextension jupyter-kfp-connect is not enabled and OK"; }
echo "ok: labextension enabled"

log=$(mktemp)
port=$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
jupyter server --no-browser --allow-root --ServerApp.port="$port" \
  --ServerApp.allow_unauthenticated_access=False --ServerApp.terminals_enabled=False --ServerApp.root_dir="$(mktemp -d)" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 60); do
  grep -q "is running at" "$log" && break
  sleep 0.5
done
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
grep -q "is running at" "$log" || { cat "$log"; fail "the server did not start"; }
grep -q "jupyter_kfp_connect" "$log" || { cat "$log"; fail "the server did not load jupyter_kfp_connect"; }
# Other extensions may warn about their own handlers; ours must never appear.
if grep -A50 "JupyterServerAuthWarning" "$log" | grep -qE "registered for .*kfp-connect"; then
  grep -A10 "JupyterServerAuthWarning" "$log"
  fail "a handler is not authenticated (JupyterServerAuthWarning)"
fi
echo "ok: no JupyterServerAuthWarning with allow_unauthenticated_access=False"
