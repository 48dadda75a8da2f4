#!/usr/bin/env bash
# chat.sh — the main job: set up, build and serve the private chat page with the bundled model.
#   bash tools/chat.sh                      http://127.0.0.1:8080/ (threads, cross-origin isolated)
#   bash tools/chat.sh --no-isolation       the same page without COOP/COEP: single-thread engine
#   bash tools/chat.sh --allow-origin https://huggingface.co    also let the page fetch models there
#   PORT=9000 bash tools/chat.sh            another port (or --port 9000)
# Installs what is missing (Debian's emscripten when there is no emcc; cmake; node), builds the two
# browser modules into build-web/ (emcmake; incremental after the first run), installs the page's
# libraries (npm ci in web/ when web/node_modules lacks them), then runs
# tools/serve.mjs on 127.0.0.1 only. Arguments go to serve.mjs. Ctrl-C stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m== %s\033[0m\n' "$*"; }

# ---- 1. toolchain ----
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v make >/dev/null || need+=(make)
command -v emcc >/dev/null || need+=(emscripten)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"
    else echo "chat.sh: missing ${need[*]}; install them (apt-get install ${need[*]}) and run again" >&2; exit 1; fi
  fi
  say "installing ${need[*]} (apt)"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}"
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 18 ]; then
  echo "chat.sh: node $(node --version) is too old for tools/serve.mjs (need >= 18)" >&2; exit 1
fi

# ---- 2. build the browser modules (build-web/mw-mt.* threaded, mw-st.* single thread) ----
# Configure every time (a few seconds): new source files and build files are picked up.
say "configuring build-web (Emscripten)"
mkdir -p build-web
emcmake cmake -S . -B build-web -DCMAKE_BUILD_TYPE=Release >build-web/configure.log 2>&1 ||
  { cat build-web/configure.log >&2; echo "chat.sh: configure failed" >&2; exit 1; }
say "building build-web/mw-mt.mjs and mw-st.mjs (first build takes a few minutes)"
cmake --build build-web -j2 --target mw_web_mt mw_web_st

for f in build-web/mw-mt.mjs build-web/mw-mt.wasm build-web/mw-st.mjs build-web/mw-st.wasm models/stories260K.gguf web/index.mjs; do
  [ -f "$f" ] || { echo "chat.sh: $f is missing after the build" >&2; exit 1; }
done

# ---- 3. the page's libraries (marked, DOMPurify: pinned in web/package.json, served as /vendor/) ----
if [ ! -f web/node_modules/marked/lib/marked.esm.js ] || [ ! -f web/node_modules/dompurify/dist/purify.es.mjs ]; then
  say "installing the chat page's libraries (npm ci in web/)"
  (cd web && npm ci --no-audit --no-fund)
fi

# ---- 4. serve ----
port=${PORT:-8080}
say "serving on 127.0.0.1:${port} (Ctrl-C to stop); open the chat page URL below"
exec node tools/serve.mjs --port "$port" "$@"
