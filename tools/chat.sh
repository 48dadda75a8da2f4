#!/usr/bin/env bash
# chat.sh — the main job: set up, build and serve the private chat page with the bundled model.
#   bash tools/chat.sh                      http://127.0.0.1:8080/ (threads, cross-origin isolated)
#   bash tools/chat.sh --no-isolation       the same page without COOP/COEP: single-thread engine
#   bash tools/chat.sh --allow-origin https://huggingface.co    also let the page fetch models there
#   PORT=9000 bash tools/chat.sh            another port (or --port 9000)
# Installs what is missing (Debian's emscripten when there is no emcc; cmake; node), builds the two
# Emscripten modules into build-web/ (emcmake; incremental after the first run) and the two
# memory64 modules into build-wasm64/ (mw64.wasm, mw64-relaxed.wasm: clang-22, lld-22 and
# libclang-rt-22-dev-wasm64, installed when missing; models past 4 GiB in Chromium / Firefox — the
# page picks wasm64-relaxed there, else the threaded Emscripten module), installs the page's
# libraries (npm ci in web/ when web/node_modules lacks them), then runs tools/serve.mjs on
# 127.0.0.1 only. MW_NO_WASM64=1 skips the memory64 modules. Arguments go to serve.mjs. Ctrl-C
# stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m== %s\033[0m\n' "$*"; }

# ---- 1. toolchain ----
sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then sudo="sudo"; fi
apt_install() {  # apt_install <package...>: as root or through sudo; fails when neither is possible
  if [ "$(id -u)" -ne 0 ] && [ -z "$sudo" ]; then
    echo "chat.sh: missing $*; install them (apt-get install $*) and run again" >&2; return 1
  fi
  say "installing $* (apt)"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq && $sudo apt-get install -y -qq "$@"
}
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v make >/dev/null || need+=(make)
command -v emcc >/dev/null || need+=(emscripten)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi
# the memory64 modules' toolchain (tools/setup.sh installs the same); without it the page still
# works with the Emscripten modules (no models past 4 GiB), so a failed install only warns
wasm64=1
[ "${MW_NO_WASM64:-0}" = 1 ] && wasm64=0
wasm64_rt() { ls /usr/lib/llvm-22/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm64.a >/dev/null 2>&1; }
if [ $wasm64 = 1 ]; then
  need=()
  command -v clang-22 >/dev/null || need+=(clang-22)
  command -v wasm-ld-22 >/dev/null || need+=(lld-22)
  wasm64_rt || need+=(libclang-rt-22-dev-wasm64)
  if [ ${#need[@]} -gt 0 ] && ! apt_install "${need[@]}"; then
    echo "chat.sh: could not install ${need[*]}: serving without the memory64 modules (models up to 4 GiB)" >&2
    wasm64=0
  fi
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

# ---- 2b. the memory64 modules (build-wasm64/mw64.wasm and mw64-relaxed.wasm, web/wasm64/) ----
built=(build-web/mw-mt.mjs build-web/mw-mt.wasm build-web/mw-st.mjs build-web/mw-st.wasm)
if [ $wasm64 = 1 ]; then
  say "configuring build-wasm64 (clang-22, memory64)"
  mkdir -p build-wasm64
  cmake -S web/wasm64 -B build-wasm64 -DCMAKE_BUILD_TYPE=Release >build-wasm64/configure.log 2>&1 ||
    { cat build-wasm64/configure.log >&2; echo "chat.sh: configure of build-wasm64 failed" >&2; exit 1; }
  say "building build-wasm64/mw64.wasm and mw64-relaxed.wasm"
  cmake --build build-wasm64 -j2 --target mw64 mw64-relaxed
  built+=(build-wasm64/mw64.wasm build-wasm64/mw64-relaxed.wasm)
fi

for f in "${built[@]}" models/stories260K.gguf web/index.mjs; do
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
