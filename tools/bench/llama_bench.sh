#!/usr/bin/env bash
# llama_bench.sh — build llama.cpp's own `llama-bench` once, the benchmark's native anchor.
#
#   tools/bench/llama_bench.sh [--out DIR] [--jobs N] [--rebuild]     → prints the binary's path
#
# Source: the llama.cpp that node-llama-cpp 3.21.1's npm package ships (llama/gitRelease.bundle,
# commit 80fb11a…), fetched with `npm pack` from the npm registry (GitHub is not needed, and not
# reachable from CI). Built with -march=native (GGML_NATIVE=ON), Release, no curl, static, target
# llama-bench only, into DIR/llama.cpp/ (default build-bench/llama.cpp/, never committed).
# Reused when DIR/llama.cpp/build/bin/llama-bench exists (--rebuild: build again). Writes
# DIR/llama.cpp/build-info.json: commit, cmake flags, compiler, build seconds.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/build-bench"
JOBS=2
REBUILD=0
NLC_VERSION=3.21.1
COMMIT=80fb11a   # the bundle's HEAD in node-llama-cpp 3.21.1 (checked below, full hash recorded)
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$(mkdir -p "$2" && cd "$2" && pwd)"; shift ;;
    --jobs) JOBS="$2"; shift ;;
    --rebuild) REBUILD=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "llama_bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
DIR="$OUT/llama.cpp"
EXE="$DIR/build/bin/llama-bench"
say() { echo "[llama_bench $(date -u +%H:%M:%S)] $*" >&2; }
if [ -x "$EXE" ] && [ "$REBUILD" = 0 ]; then echo "$EXE"; exit 0; fi
mkdir -p "$DIR"

# ---- source: npm pack → llama/gitRelease.bundle → clone → commit ----
if [ ! -d "$DIR/src/.git" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  say "npm pack node-llama-cpp@$NLC_VERSION"
  (cd "$tmp" && npm pack --silent "node-llama-cpp@$NLC_VERSION" >/dev/null)
  tar -xzf "$tmp/node-llama-cpp-$NLC_VERSION.tgz" -C "$tmp" package/llama/gitRelease.bundle
  rm -rf "$DIR/src"
  git -c advice.detachedHead=false clone --quiet "$tmp/package/llama/gitRelease.bundle" "$DIR/src"
fi
full="$(git -C "$DIR/src" rev-parse --verify --quiet "$COMMIT^{commit}")" ||
  { say "commit $COMMIT is not in node-llama-cpp $NLC_VERSION's bundle"; exit 1; }
git -C "$DIR/src" -c advice.detachedHead=false checkout --quiet "$full"
say "llama.cpp $full"

# ---- build: llama-bench only ----
FLAGS=(-DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DBUILD_SHARED_LIBS=OFF
       -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=ON)
t0=$(date +%s)
say "cmake ${FLAGS[*]} (log: $DIR/build.log)"
if ! cmake -S "$DIR/src" -B "$DIR/build" "${FLAGS[@]}" >"$DIR/build.log" 2>&1 ||
   ! cmake --build "$DIR/build" -j"$JOBS" --target llama-bench >>"$DIR/build.log" 2>&1; then
  grep -m10 -E "error|Error" "$DIR/build.log" >&2 || tail -20 "$DIR/build.log" >&2
  say "build FAILED (see $DIR/build.log)"; exit 1
fi
secs=$(( $(date +%s) - t0 ))
cc="$(grep -m1 -o 'CMAKE_C_COMPILER:[A-Z]*=.*' "$DIR/build/CMakeCache.txt" | cut -d= -f2)"
printf '{"node_llama_cpp":"%s","commit":"%s","flags":"%s","compiler":"%s","build_seconds":%d,"jobs":%d,"built":"%s"}\n' \
  "$NLC_VERSION" "$full" "${FLAGS[*]}" "$("${cc:-cc}" --version | head -1)" "$secs" "$JOBS" \
  "$(date -u '+%Y-%m-%d %H:%M UTC')" >"$DIR/build-info.json"
say "built in ${secs} s: $EXE"
echo "$EXE"
