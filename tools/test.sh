#!/usr/bin/env bash
# test.sh — runs every test suite, one stage per build; each stage ends with its own summary
# (ctest's "N% tests passed ... out of N", node --test's "# pass N / # fail N").
#   bash tools/test.sh                 set-up (tools/setup.sh), then all stages: native asan tsan wasi web wasm64 js fuzz
#   bash tools/test.sh native          only the native build (any subset of stage names works)
# Stages:
#   native  gcc/cc build in build/       + ctest; test_kernels also with the relaxed-SIMD kernel
#           set (build-relaxed/, -DMW_SIMDE_RELAXED=ON)
#   asan    ASan+UBSan build in build-asan/ (-DMW_SANITIZE=ON) + ctest
#   tsan    ThreadSanitizer build in build-tsan/ (gcc -fsanitize=thread, libtsan2) + ctest of the
#           tests that run threads (TSAN_TESTS: the pool, the kernel table's first use, the
#           multi-threaded forward passes and KV cache); any race report fails the test
#   wasi    clang-22 + wasi-libc build in build-wasi/ (wasi/toolchain.cmake) + ctest under node:wasi
#   web     Emscripten build in build-web/ (emcmake) + ctest under node
#   wasm64  freestanding memory64 modules build-wasm64/mw64.wasm and mw64-relaxed.wasm (clang-22,
#           web/wasm64/) + their headless Chromium + Firefox tests web/e2e/wasm64.test.mjs +
#           engine-wasm64.test.mjs, and relaxed.test.mjs (both kernel sets against the scalar
#           oracle, Chromium and Firefox) (Node 20 has no memory64), and chat.big-model.test.mjs (the chat page
#           loads a 4.5 GB model, Mistral-7B shape with 4 F32 layers, by URL and as a file, and
#           generates, in Chromium and Firefox; the model is generated once into build-wasm64/big/)
#   js      node --test web/test/ web/e2e/ (the JS package's suites and the browser tests, which
#           need build-web/ from the web stage; dirs that don't exist are left out); with
#           MW_BIG_WASM32=1 also web/test/big-wasm32.test.mjs (full-size Mistral-7B Q2_K and
#           Q3_K_M in the wasm32 module under Node; the files are generated once into
#           build-web/big/, ~6 GB)
#   fuzz    libFuzzer targets (clang, ASan+UBSan) run FUZZ_SECONDS (default 20) each from the
#           committed corpus (tools/fuzz.sh ci); the corpus itself is replayed by ctest above
# A missing toolchain fails its stage loudly (tools/setup.sh installs them). All requested stages run;
# the exit status is non-zero if any failed. JOBS (default 2) sets build and ctest parallelism.
set -uo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
stages=("$@")
# set-up first (toolchains, browsers, web/node_modules; quiet when all is there), so this one
# command works on a fresh machine; MW_SKIP_SETUP=1 skips it (.ci/run has just run it)
if [ "${MW_SKIP_SETUP:-0}" != 1 ]; then bash tools/setup.sh || exit 1; fi
[ ${#stages[@]} -eq 0 ] && stages=(native asan tsan wasi web wasm64 js fuzz)
# the ctest cases that start threads; the rest run single-threaded, and under TSan only slower
TSAN_TESTS=${TSAN_TESTS:-'^(test_pool|test_reference|test_kv_cache)$'}

need() {  # need <what> <test command...>: fail the stage with a clear message if missing
  local what=$1; shift
  if ! "$@" >/dev/null 2>&1; then
    echo "!! missing toolchain: $what (install it, e.g. bash .ci/run installs everything)" >&2
    return 1
  fi
}

build_and_test() {  # build_and_test <dir> <configure command...>: configure, build, ctest
  # (ctest arguments of the stage, e.g. -R pattern, in the array ctest_extra)
  local dir=$1; shift
  mkdir -p "$dir"
  if ! "$@" -S . -B "$dir" >"$dir/configure.log" 2>&1; then
    cat "$dir/configure.log" >&2; echo "!! configure failed in $dir" >&2; return 1
  fi
  if ! cmake --build "$dir" -j"$JOBS" >"$dir/build.log" 2>&1; then
    grep -E -A4 "error:|Error [0-9]|\*\*\*" "$dir/build.log" | head -120 >&2
    echo "!! build failed in $dir (full log: $dir/build.log)" >&2; return 1
  fi
  grep -E "warning:" "$dir/build.log" | sort -u | head -40 >&2
  ctest --test-dir "$dir" -j"$JOBS" --output-on-failure --timeout 900 "${ctest_extra[@]}"
}
ctest_extra=()

stage_native() {
  need cmake command -v cmake && need "C compiler" command -v cc || return 1
  build_and_test build cmake -DCMAKE_BUILD_TYPE=Release || return 1
  # the relaxed-SIMD kernel set too (MW_SIMDE_RELAXED: the x86 engines' relaxed dot emulated),
  # its test_kernels only: the other tests don't depend on the kernel set beyond it
  local ctest_extra=(-R '^test_kernels$')
  mkdir -p build-relaxed
  if ! cmake -S . -B build-relaxed -DCMAKE_BUILD_TYPE=Release -DMW_SIMDE_RELAXED=ON >build-relaxed/configure.log 2>&1 ||
     ! cmake --build build-relaxed -j"$JOBS" --target test_kernels >build-relaxed/build.log 2>&1; then
    tail -40 build-relaxed/configure.log build-relaxed/build.log >&2; echo "!! relaxed build failed in build-relaxed" >&2
    return 1
  fi
  ctest --test-dir build-relaxed -j"$JOBS" --output-on-failure --timeout 900 "${ctest_extra[@]}"
}

stage_asan() {
  need cmake command -v cmake && need "C compiler" command -v cc || return 1
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
  UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    build_and_test build-asan cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMW_SANITIZE=ON
}

stage_tsan() {
  need cmake command -v cmake &&
  need "ThreadSanitizer (gcc + libtsan2)" sh -c 'printf "int main(void){return 0;}" |
       cc -fsanitize=thread -x c - -o /dev/null' || return 1
  # halt_on_error: the first race report fails its test (exit 66) instead of only printing
  local ctest_extra=(-R "$TSAN_TESTS")
  TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} \
    build_and_test build-tsan cmake -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMW_SANITIZE=OFF \
      "-DCMAKE_C_FLAGS=-fsanitize=thread -fno-omit-frame-pointer" \
      "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread"
}

stage_wasi() {
  need "clang-22 (or clang-19)" sh -c 'command -v clang-22 || command -v clang-19' &&
  need "wasm-ld (lld-22)" sh -c 'command -v wasm-ld-22 || command -v wasm-ld-19 || command -v wasm-ld' &&
  need "wasi-libc" test -f /usr/include/wasm32-wasi/stdio.h &&
  need "compiler-rt wasm32 (libclang-rt-22-dev-wasm32)" sh -c 'ls /usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a' &&
  need node command -v node || return 1
  build_and_test build-wasi cmake -DCMAKE_TOOLCHAIN_FILE=wasi/toolchain.cmake -DCMAKE_BUILD_TYPE=Release
}

stage_web() {
  need "emscripten (emcmake)" command -v emcmake && need node command -v node || return 1
  build_and_test build-web emcmake cmake -DCMAKE_BUILD_TYPE=Release
}

stage_wasm64() {
  need "clang-22" command -v clang-22 && need "wasm-ld (lld-22)" command -v wasm-ld-22 &&
  need "compiler-rt wasm64 (libclang-rt-22-dev-wasm64)" sh -c 'ls /usr/lib/llvm-22/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm64.a' &&
  need node command -v node || return 1
  mkdir -p build-wasm64
  if ! cmake -S web/wasm64 -B build-wasm64 -DCMAKE_BUILD_TYPE=Release >build-wasm64/configure.log 2>&1; then
    cat build-wasm64/configure.log >&2; echo "!! configure failed in build-wasm64" >&2; return 1
  fi
  if ! cmake --build build-wasm64 -j"$JOBS" >build-wasm64/build.log 2>&1; then
    grep -E -A4 "error:|warning:|Error [0-9]|\*\*\*" build-wasm64/build.log | head -60 >&2
    echo "!! build failed in build-wasm64 (full log: build-wasm64/build.log)" >&2; return 1
  fi
  grep -E "warning:" build-wasm64/build.log | sort -u | head -40 >&2
  if [ -f web/package.json ] && [ ! -d web/node_modules ]; then
    echo "!! web/node_modules missing: run (cd web && npm ci) first (.ci/run does)" >&2
    return 1
  fi
  # chat.big-model.test.mjs: the chat page with a 4.5 GB model (generated once into
  # build-wasm64/big/, needs the native generator: built into build/ when missing), by URL and as
  # a file, Chromium then Firefox, only with MW_BIG_MODEL=1 (~12 min on 2 cores: not in every CI run)
  MW_REQUIRE_WASM64=1 MW_BIG_MODEL=${MW_BIG_MODEL:-0} node --test web/e2e/wasm64.test.mjs web/e2e/engine-wasm64.test.mjs \
    web/e2e/relaxed.test.mjs web/e2e/chat.big-model.test.mjs
}

stage_js() {
  local dirs=() d
  for d in web/test web/e2e; do [ -d "$d" ] && dirs+=("$d/"); done
  if [ ${#dirs[@]} -eq 0 ]; then echo "(no web/test/ or web/e2e/: nothing to run)"; return 0; fi
  need node command -v node || return 1
  if [ -f web/package.json ] && [ ! -d web/node_modules ] && grep -q 'ependencies"' web/package.json; then
    echo "!! web/node_modules missing: run (cd web && npm ci) first (.ci/run does)" >&2
    return 1
  fi
  node --test "${dirs[@]}"
}

stage_fuzz() {
  need "clang with libFuzzer (clang-14 + libclang-rt-14-dev)" sh -c 'command -v clang-14 || command -v clang' || return 1
  sh tools/fuzz.sh ci "${FUZZ_SECONDS:-20}"
}

declare -A result
for s in "${stages[@]}"; do
  if ! declare -F "stage_$s" >/dev/null; then
    echo "unknown stage '$s' (native asan tsan wasi web wasm64 js fuzz)" >&2; exit 2
  fi
  echo "==================== stage: $s ===================="
  t0=$SECONDS
  log=$(mktemp)
  "stage_$s" 2>&1 | tee "$log"
  if [ "${PIPESTATUS[0]}" -eq 0 ]; then result[$s]="ok"; else result[$s]="FAILED"; fi
  # the stage's own counts: ctest's "N% tests passed, N tests failed out of N" (summed over the
  # stage's ctest runs), node's "# pass/# fail"
  counts=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$log" | sed 's/^.*tests passed, //' |
           awk '{ failed += $1; total += $NF } END { if (NR) printf "%d tests failed out of %d", failed, total }')
  [ -z "$counts" ] && counts=$(grep -E "^# (pass|fail|skipped) [0-9]+" "$log" | tr '\n' ' ')
  rm -f "$log"
  result[$s]="${result[$s]} ($((SECONDS - t0)) s) ${counts}"
  echo "==================== stage $s: ${result[$s]} ===================="
done

echo "==================== summary ===================="
status=0
for s in "${stages[@]}"; do
  printf '%-7s %s\n' "$s" "${result[$s]}"
  case ${result[$s]} in FAILED*) status=1;; esac
done
exit $status
