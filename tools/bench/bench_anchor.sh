#!/usr/bin/env bash
# bench_anchor.sh — issue 13's and issue 18's benchmark in one command: ours (each browser module)
# and wllama in Chromium and Firefox, against llama.cpp's own llama-bench on the same files and
# thread counts; writes build-bench/anchor.md (the tables) and build-bench/anchor.json (the rows).
#
#   tools/bench/bench_anchor.sh [--quick] [--no-build] [--shapes "bench-1024 mistral7b"]
#                               [--types "Q4_0 Q4_K_M Q8_0 Q3_K_M"] [--prepare] [run.mjs options...]
#
# 1. native tools + models: tools/bench/run_benchmarks.sh --no-run (build-bench/native, models
#    generated once into build-bench/models with mw_gen_model --preset, on every core; the full
#    mistral7b shape takes ~5 min of CPU per file, 3-8 GB each: BENCHMARKS.md "Models");
# 2. our browser modules: Emscripten mw-mt/mw-st into build-bench/web, the wasm64 family
#    (mw64.wasm, mw64-relaxed.wasm) into build-bench/wasm64;
# 3. llama-bench: tools/bench/llama_bench.sh (once, into build-bench/llama.cpp);
# 4. the harness's npm packages (tools/bench/browser, `npm ci --omit=optional`) if missing;
# 5. node tools/bench/browser/run.mjs with the shapes and types, every other option passed on
#    (defaults: threads 1, 2 and all cores, -p 128 -n 64 -r 3, --7b "64 16 2" for mistral7b: at one
#    thread a 7B prefill of 128 tokens x 3 reps alone takes 80 s per module and browser).
# --quick: bench-1024 Q4_0, -p 16 -n 8 -r 1, 1 thread (checks the pipeline, not the engines).
# --no-build: use what build-bench/ has (still generates missing models).
# --prepare: steps 1-4 only (build, generate, install), so the run can start on a quiet machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/build-bench"
SHAPES="bench-1024 mistral7b"
TYPES="Q4_0 Q4_K_M Q8_0 Q3_K_M"
BUILD=1
PREPARE=0
JOBS=2
DEFAULT_ARGS=(--7b "64 16 2")   # run.mjs takes the last of a repeated option: RUN_ARGS win
RUN_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) SHAPES="bench-1024" TYPES="Q4_0" DEFAULT_ARGS=(-p 16 -n 8 -r 1 --threads 1) ;;
    --no-build) BUILD=0 ;;
    --prepare) PREPARE=1 ;;
    --shapes) SHAPES="$2"; shift ;;
    --types) TYPES="$2"; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) RUN_ARGS+=("$1") ;;
  esac
  shift
done
say() { echo "[bench_anchor $(date -u +%H:%M:%S)] $*" >&2; }
mkdir -p "$OUT"

# 1. native tools (mw, mw_gen_model, bench_bandwidth) and the models
nobuild=(); [ "$BUILD" = 1 ] || nobuild=(--no-build)
bash "$ROOT/tools/bench/run_benchmarks.sh" --no-run --runtimes none "${nobuild[@]}" --shapes "$SHAPES" --types "$TYPES"

# 2. our browser modules; 3. llama-bench
build() {   # build DIR LOG CONFIGURE... -- TARGETS...
  local dir="$1" log="$2"; shift 2
  local cfg=()
  while [ "$1" != "--" ]; do cfg+=("$1"); shift; done
  shift
  say "build $(basename "$dir"): ${cfg[*]} (targets: ${*:-all}; log $log)"
  local t=(); [ $# -gt 0 ] && t=(--target "$@")
  if ! "${cfg[@]}" -B "$dir" -DCMAKE_BUILD_TYPE=Release >"$log" 2>&1 ||
     ! cmake --build "$dir" -j"$JOBS" "${t[@]}" >>"$log" 2>&1; then
    grep -m10 -E "error|Error" "$log" >&2 || true
    say "build $(basename "$dir") FAILED (see $log): its engines will be skipped"
  fi
}
if [ "$BUILD" = 1 ]; then
  build "$OUT/web" "$OUT/build-web.log" emcmake cmake -S "$ROOT" -- mw_web_mt mw_web_st
  build "$OUT/wasm64" "$OUT/build-wasm64.log" cmake -S "$ROOT/web/wasm64" --
  bash "$ROOT/tools/bench/llama_bench.sh" --out "$OUT" >/dev/null
fi

# 4. the harness's packages (not part of CI: ~140 MB)
if [ ! -d "$ROOT/tools/bench/browser/node_modules/puppeteer-core" ]; then
  say "npm ci --omit=optional in tools/bench/browser"
  (cd "$ROOT/tools/bench/browser" && npm ci --omit=optional --no-audit --no-fund >&2)
fi

[ "$PREPARE" = 1 ] && { say "prepared: build-bench/ has the tools, modules and models"; exit 0; }

# 5. the run
say "run.mjs --shapes \"$SHAPES\" --types \"$TYPES\" ${DEFAULT_ARGS[*]} ${RUN_ARGS[*]}"
node "$ROOT/tools/bench/browser/run.mjs" --shapes "$SHAPES" --types "$TYPES" --out "$OUT/anchor.md" \
  "${DEFAULT_ARGS[@]}" "${RUN_ARGS[@]}"
