#!/usr/bin/env bash
# Set up everything from a clean checkout: a Python venv, the front-end packages from the
# lockfiles, a production build, and the extension installed FROM ITS WHEEL (as users get it).
#   scripts/setup.sh            venv + build + install
#   scripts/setup.sh --browser  also Debian's Chromium and the Galata packages (for tests)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV=${VENV:-$ROOT/.venv}
WITH_BROWSER=0
[ "${1:-}" = "--browser" ] && WITH_BROWSER=1

step() { printf '\n==> %s\n' "$*"; }

# Chromium, and CJK fonts so the Korean and Chinese panels render (and screenshot) as text.
if [ "$WITH_BROWSER" = 1 ] && { [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] \
    || [ ! -d /usr/share/fonts/opentype/noto ] || ! ls /usr/share/fonts/opentype/noto/NotoSansCJK-* >/dev/null 2>&1; }; then
  step "Installing Debian's Chromium and CJK fonts for the browser tests"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  fi
fi

if ! command -v node >/dev/null 2>&1; then
  echo "Node.js >= 20.19 is needed to build the front end (the wheel itself needs no Node)." >&2
  exit 1
fi

step "Python venv at $VENV"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
# shellcheck disable=SC1091
. "$VENV/bin/activate"
python -m pip install -q --upgrade pip
python -m pip install -q "jupyterlab>=4.4,<5" "hatchling>=1.5" "hatch-jupyter-builder>=0.9" "hatch-nodejs-version>=0.3.2" "babel>=2.14" build

# Yarn uses the same npm registry as npm on this machine (no host is written in the repo).
if [ -z "${YARN_NPM_REGISTRY_SERVER:-}" ]; then
  registry=$(npm config get registry 2>/dev/null || true)
  [ -n "$registry" ] && export YARN_NPM_REGISTRY_SERVER="${registry%/}"
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

step "Front-end packages (from yarn.lock)"
jlpm install --immutable

step "Production build of the labextension"
jlpm clean:all
jlpm build:prod

step "Building the wheel and installing it with the test extra"
rm -rf dist
python -m build --wheel --no-isolation --outdir dist . >/dev/null
wheel=$(ls dist/jupyter_kfp_connect-*.whl)
python -m pip install -q --force-reinstall --no-deps "$wheel"
python -m pip install -q "${wheel}[test]"

step "configurable-http-proxy for the JupyterHub tests (build/node, git-ignored)"
npm install --prefix build/node --no-audit --no-fund --loglevel=error configurable-http-proxy@5.3.0 >/dev/null

if [ "$WITH_BROWSER" = 1 ]; then
  step "Galata packages (from ui-tests/yarn.lock)"
  (cd ui-tests && jlpm install --immutable)
fi
step "Setup done"
