#!/usr/bin/env bash
# run_benchmarks.sh — `mw bench` on generated models in every build, one markdown report.
#
#   tools/bench/run_benchmarks.sh [--quick] [--no-build] [--out DIR] [--shapes "..."]
#                                 [--types "..."] [-p 128] [-n 64] [-r 3]
#
# Builds (into DIR, default build-bench/, never committed): native, WASI with SIMD128, WASI
# scalar (-DMW_WASM_SIMD=OFF: no -msimd128, so the kernel table keeps the scalar reference) and
# the Emscripten modules; generates the models with tools/gen/mw_gen_model (shapes: presets
# bench-1024 and mistral7b-2layer; types Q4_0 Q8_0 Q4_K_M); then runs, per model:
#   native mw (1 and 2 threads), WASI mw.wasm under node:wasi (SIMD, and the scalar build),
#   the Emscripten build under Node (web/mw.mjs: threaded build at 1 and 2 threads, the
#   single-thread module at 1).
# The scalar build is slow (~1 GB/s of weights): it runs with --scalar-p/--scalar-n/--scalar-r
# (default 32/16/1) and the WASI SIMD build is measured a second time with the same settings,
# so the speed-up ratio compares like with like. Results: DIR/results.jsonl (one line per run,
# `mw bench`'s JSON inside) and DIR/results.md (the tables, machine and commands), also printed.
# --quick: bench-1024 Q4_0 only, -p 16 -n 8 -r 1 (to check the script itself).
# --7b "P N R": other -p/-n/-r for the mistral7b-2layer shape (its runs are ~4x longer).
# --regen: generate the models again even if they exist (they depend only on the generator).
# --runtimes "native wasi wasi-scalar web": build and run only these ("none": only the native
# tools); --no-run: stop once the builds and models are made; --append: keep the
# earlier results.jsonl and add to it (a later line for the same model/runtime/threads wins).
# Each result line also records the 1-minute load average: on a shared machine, read the
# 2-thread figures against it.
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/build-bench"
SHAPES="bench-1024 mistral7b-2layer"
TYPES="Q4_0 Q8_0 Q4_K_M"
PP=128 TG=64 REPS=3
SPP=32 STG=16 SREPS=1
BUILD=1 REGEN=0 APPEND=0 RUN=1
RUNTIMES="native wasi wasi-scalar web"
P7="" N7="" R7=""
JOBS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) SHAPES="bench-1024" TYPES="Q4_0" PP=16 TG=8 REPS=1 SPP=8 STG=4 ;;
    --no-build) BUILD=0 ;;
    --no-run) RUN=0 ;;
    --regen) REGEN=1 ;;
    --runtimes) RUNTIMES="$2"; shift ;;
    --append) APPEND=1 ;;
    --7b) read -r P7 N7 R7 <<<"$2"; shift ;;
    --out) OUT="$(mkdir -p "$2" && cd "$2" && pwd)"; shift ;;
    --shapes) SHAPES="$2"; shift ;;
    --types) TYPES="$2"; shift ;;
    -p) PP="$2"; shift ;;
    -n) TG="$2"; shift ;;
    -r) REPS="$2"; shift ;;
    --scalar-p) SPP="$2"; shift ;;
    --scalar-n) STG="$2"; shift ;;
    --scalar-r) SREPS="$2"; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "run_benchmarks: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$OUT/models"
RESULTS="$OUT/results.jsonl"
LOG="$OUT/bench.log"
if [ "$RUN" = 1 ]; then   # --no-run keeps the last run's results and log
  [ "$APPEND" = 1 ] || : >"$RESULTS"
  : >"$LOG"
fi
say() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$LOG" >&2; }

# ---- builds ----
build() {   # build NAME TARGETS... -- CONFIGURE...
  local name="$1"; shift
  local targets=()
  while [ "$1" != "--" ]; do targets+=("$1"); shift; done
  shift
  local dir="$OUT/$name"
  say "build $name: $* (targets ${targets[*]})"
  if ! "$@" -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release >"$OUT/build-$name.log" 2>&1 ||
     ! cmake --build "$dir" -j"$JOBS" --target "${targets[@]}" >>"$OUT/build-$name.log" 2>&1; then
    say "build $name FAILED (see $OUT/build-$name.log):"
    grep -m5 -E "error|Error" "$OUT/build-$name.log" >&2
    return 1
  fi
}
want() { case " $RUNTIMES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
# WASI programs start with 2 GiB of linear memory and never grow it: Node 20's node:wasi keeps
# using the old backing store after memory.grow moves it, which corrupts V8's heap (crashes at
# exit or in the GC, exit 133/139) once a model of a few hundred MiB is loaded.
WASI_MEM="-DCMAKE_EXE_LINKER_FLAGS=-Wl,--initial-memory=2147483648"
if [ "$BUILD" = 1 ]; then
  build native mw mw_gen_model bench_bandwidth -- cmake   # always: it makes the models
  want wasi && build wasi mw -- cmake -DCMAKE_TOOLCHAIN_FILE="$ROOT/wasi/toolchain.cmake" "$WASI_MEM"
  want wasi-scalar && build wasi-scalar mw -- cmake -DCMAKE_TOOLCHAIN_FILE="$ROOT/wasi/toolchain.cmake" \
    -DMW_WASM_SIMD=OFF "$WASI_MEM"
  want web && build web mw mw_st -- emcmake cmake   # the CLI web/mw.mjs launches, mt and st
fi
HAVE_NATIVE=0 HAVE_WASI=0 HAVE_SCALAR=0 HAVE_WEB=0
want native && [ -x "$OUT/native/mw" ] && HAVE_NATIVE=1
want wasi && [ -f "$OUT/wasi/mw.wasm" ] && HAVE_WASI=1
want wasi-scalar && [ -f "$OUT/wasi-scalar/mw.wasm" ] && HAVE_SCALAR=1
want web && [ -f "$OUT/web/mw.js" ] && [ -f "$OUT/web/mw-st.js" ] && HAVE_WEB=1
if [ ! -x "$OUT/native/mw_gen_model" ]; then
  say "no $OUT/native/mw_gen_model: cannot generate models"; exit 1
fi

# ---- models ----
for shape in $SHAPES; do
  for type in $TYPES; do
    f="$OUT/models/$shape.$type.gguf"
    if [ ! -s "$f" ] || [ "$REGEN" = 1 ]; then
      say "generate $shape $type"
      t0=$(date +%s)
      if "$OUT/native/mw_gen_model" --preset "$shape" --type "$type" --out "$f" 2>>"$LOG"; then
        say "  $(( $(stat -c %s "$f") >> 20 )) MiB in $(( $(date +%s) - t0 )) s"
      else
        say "generating $f FAILED"; rm -f "$f"
      fi
    fi
  done
done
[ "$RUN" = 1 ] || exit 0

# weight bytes one decoded token reads: every weight except the embedding table (one row of it);
# for MoE only the used experts' share of the expert tensors
token_bytes() {
  "$OUT/native/mw" info -m "$1" --json --tensors 2>/dev/null | node "$ROOT/tools/bench/token_bytes.mjs" ||
    echo 0
}

# ---- runs ----
# run RUNTIME THREADS MODEL PP TG REPS CMD...: one `CMD bench ... ${EXTRA[@]}`, one JSON line
# into results.jsonl
EXTRA=()
run() {
  local runtime="$1" threads="$2" model="$3" pp="$4" tg="$5" reps="$6"; shift 6
  local shape type line rc tb
  tb="$(token_bytes "$model")"
  shape="$(basename "$model" .gguf)"; type="${shape##*.}"; shape="${shape%.*}"
  say "$runtime t$threads $shape $type (p $pp, n $tg, r $reps)"
  line="$("$@" bench -m "$model" -p "$pp" -n "$tg" -r "$reps" -t "$threads" "${EXTRA[@]}" 2>>"$LOG")"
  rc=$?
  if [ $rc -ne 0 ] || [ "${line:0:1}" != "{" ]; then
    say "  FAILED (exit $rc)"
    line='null'
  else
    say "  $line"
  fi
  printf '{"shape":"%s","type":"%s","runtime":"%s","threads":%s,"bytes":%s,"token_bytes":%s,"load":%s,"bench":%s}\n' \
    "$shape" "$type" "$runtime" "$threads" "$(stat -c %s "$model")" "${tb:-0}" \
    "$(cut -d' ' -f1 /proc/loadavg)" "$line" >>"$RESULTS"
}
# --single-threaded-gc: Node 20.20's concurrent marking crashes ("unreachable code" in
# MarkCompactCollector, exit 133) once node:wasi programs grow their memory to ~100 MiB+
PP0=$PP TG0=$TG REPS0=$REPS
BW=""
if [ -x "$OUT/native/bench_bandwidth" ]; then   # the ceiling: STREAM-style read, 1 and 2 threads
  BW="$("$OUT/native/bench_bandwidth" 512 2 5 | sed 's/.*"threads":\([0-9]*\).*"read_gbs":\([0-9.]*\).*/\1 thread(s) \2 GB\/s/' | paste -sd, -)"
  say "read bandwidth: $BW"
fi
NODE_WASI=(node --no-warnings --single-threaded-gc "$ROOT/wasi/run.mjs")
NODE_WEB=(node "$ROOT/web/mw.mjs")
for shape in $SHAPES; do
  for type in $TYPES; do
    m="$OUT/models/$shape.$type.gguf"
    [ -s "$m" ] || continue
    PP=$PP0 TG=$TG0 REPS=$REPS0
    if [ "$shape" = mistral7b-2layer ] && [ -n "$P7" ]; then PP=$P7 TG=$N7 REPS=$R7; fi
    if [ $HAVE_NATIVE = 1 ]; then
      run native 1 "$m" $PP $TG $REPS "$OUT/native/mw"
      run native 2 "$m" $PP $TG $REPS "$OUT/native/mw"
    fi
    if [ $HAVE_WASI = 1 ]; then
      run wasi 1 "$m" $PP $TG $REPS "${NODE_WASI[@]}" "$OUT/wasi/mw.wasm"
    fi
    if [ $HAVE_SCALAR = 1 ]; then
      [ -f "$OUT/wasi/mw.wasm" ] && run wasi-short 1 "$m" $SPP $STG $SREPS "${NODE_WASI[@]}" "$OUT/wasi/mw.wasm"
      run wasi-scalar 1 "$m" $SPP $STG $SREPS "${NODE_WASI[@]}" "$OUT/wasi-scalar/mw.wasm"
    fi
    if [ $HAVE_WEB = 1 ]; then
      EXTRA=(--module-base "$OUT/web" --wasm mt)
      run emscripten-mt 1 "$m" $PP $TG $REPS "${NODE_WEB[@]}"
      run emscripten-mt 2 "$m" $PP $TG $REPS "${NODE_WEB[@]}"
      EXTRA=(--module-base "$OUT/web" --wasm st)
      run emscripten-st 1 "$m" $PP $TG $REPS "${NODE_WEB[@]}"
      EXTRA=()
    fi
  done
done

# ---- report ----
{
  echo "Machine: $(nproc) vCPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
       "($(grep -m1 -o -w avx2 /proc/cpuinfo || echo no-avx2)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo);" \
       "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "Node $(node --version); Emscripten $(emcc --version 2>/dev/null | head -1 | grep -o '[0-9]*\.[0-9]*\.[0-9]*' | head -1);" \
       "WASI: $(grep -h -o 'clang-[0-9]*' "$OUT"/wasi/CMakeFiles/*/CMakeCCompiler.cmake 2>/dev/null | head -1) + wasi-libc;" \
       "native: $(cc --version | head -1)"
  echo "Memory read bandwidth (tools/bench/bench_bandwidth.c, 512 MiB, best of 5): ${BW:-not measured}"
  echo "Commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- core web tools || echo ' (+ uncommitted changes)'), $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "Settings: -p $PP0 -n $TG0 -r $REPS0${P7:+ (mistral7b-2layer: -p $P7 -n $N7 -r $R7)};" \
       "scalar baseline and its SIMD twin: -p $SPP -n $STG -r $SREPS"
  echo
  node "$ROOT/tools/bench/bench_table.mjs" "$RESULTS"
} >"$OUT/results.md"
cat "$OUT/results.md"
