#!/usr/bin/env bash
# setup.sh — install everything the tests need on a fresh Debian 12 machine: the toolchains and
# browsers (Debian packages) and the JS package's npm dependencies (web/node_modules). Idempotent
# and quiet: nothing is fetched when everything is already there. tools/test.sh runs it first
# (so `bash tools/test.sh` works on a fresh machine); .ci/run runs it too.
#   MW_SKIP_SETUP=1 bash tools/test.sh      skip it (nothing is checked or installed)
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
t0=$SECONDS

# cmake/gcc: native + ASan builds; emscripten: build-web; clang-22/lld-22/rt-wasm32/wasi-libc: build-wasi;
# rt-wasm64: the freestanding memory64 module build-wasm64 (compiler-rt builtins);
# libsimde-dev: native build of the SIMD128 kernels; python3-numpy: reference tools;
# chromium, firefox-esr: the JS package's headless browser tests (Playwright / puppeteer-core);
# clang-14 + libclang-rt-14-dev: libFuzzer; libtsan2: gcc's ThreadSanitizer runtime (tsan stage).
pkgs=(cmake make gcc libc6-dev emscripten clang-22 lld-22 libclang-rt-22-dev-wasm32 libclang-rt-22-dev-wasm64 wasi-libc
      libsimde-dev python3-numpy chromium firefox-esr clang-14 libclang-rt-14-dev libtsan2)
command -v node >/dev/null || pkgs+=(nodejs npm)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: missing ${missing[*]}; install them (apt-get install ${missing[*]})" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "setup: installing ${missing[*]}"
  log=$(mktemp)
  if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq "${missing[@]}"; } >"$log" 2>&1; then
    tail -40 "$log" >&2; echo "setup: apt-get install failed" >&2; exit 1
  fi
  rm -f "$log"
fi
echo "setup: packages ready ($((SECONDS - t0)) s)"

# npm ci when web/node_modules is missing or older than the lock file
if [ -f web/package-lock.json ] &&
   { [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; }; then
  t1=$SECONDS
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
  echo "setup: npm dependencies ready ($((SECONDS - t1)) s)"
fi
