#!/usr/bin/env bash
# Set up from a clean checkout and start JupyterLab with the extension against the local
# KFP sandbox (KFP's API behind a Kubeflow-like Dex + oauth2-proxy login front).
#   SANDBOX_MODE=dex|authservice|standalone   (default dex)
#   SANDBOX_PORT (default 8765)   JUPYTER_PORT (default 8888)   VENV (default .venv)
#   SKIP_SETUP=1 starts at once when setup.sh has already run
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
[ "${SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh
# shellcheck disable=SC1091
. "${VENV:-$ROOT/.venv}/bin/activate"

MODE=${SANDBOX_MODE:-dex}
PORT=${SANDBOX_PORT:-8765}
STATE="$ROOT/.kfp-sandbox"
mkdir -p "$STATE"

port_free() { python -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$1)) == 0)"; }
port_free "$PORT" || { echo "Port $PORT is taken: set SANDBOX_PORT to a free one." >&2; exit 1; }

# The sandbox keeps what you upload in SQLite (.kfp-sandbox/), so it is still there next time;
# the example pipelines are seeded only into a new store.
printf '\n==> KFP sandbox (%s mode)\n' "$MODE"
jupyter-kfp-sandbox --mode "$MODE" --port "$PORT" --db "$STATE/$MODE.db" --seed 25 &
sandbox_pid=$!
trap 'kill $sandbox_pid 2>/dev/null || true' EXIT INT TERM

for _ in $(seq 1 100); do
  port_free "$PORT" || break
  kill -0 "$sandbox_pid" 2>/dev/null || { echo "The sandbox did not start (see above)." >&2; exit 1; }
  sleep 0.1
done

host="http://127.0.0.1:$PORT"
[ "$MODE" = standalone ] || host="$host/pipeline"

printf '\n==> JupyterLab with jupyter_kfp_connect, pointed at %s\n' "$host"
[ "$MODE" = standalone ] || echo "    Sign in from the Kubeflow Pipelines panel (left sidebar) as user@example.com / 12341234."
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)
jupyter lab --no-browser --ip=127.0.0.1 --port="${JUPYTER_PORT:-8888}" \
  --ServerApp.root_dir="$ROOT/examples" \
  --KFPConnect.host="$host" "${extra[@]}"
