#!/bin/sh
# tools/fuzz.sh — build the libFuzzer targets (clang, ASan + UBSan) and run each for a bounded time.
#   tools/fuzz.sh build                      build build-fuzz/fuzz_<target> for every fuzz/fuzz_*.c
#   tools/fuzz.sh run [SECONDS] [TARGET...]  fuzz each target (default: all, 60 s each), one at a
#                                            time; new inputs go to build-fuzz/corpus/<corpus>/
#                                            (seeded from fuzz/corpus/<corpus>/), crashes to
#                                            build-fuzz/crashes/
#   tools/fuzz.sh ci [SECONDS]               build, fuzz every target SECONDS (default 20) in a
#                                            scratch corpus, fail on any crash, leak or timeout
#   tools/fuzz.sh long [RUNS] [TARGET...]    build, then fuzz each target (default: all) for RUNS
#                                            executions (default 10000000), one at a time under
#                                            nice, growing build-fuzz/corpus/; fails on any
#                                            artifact; prints the counts for the docs and appends
#                                            them to build-fuzz/long.log
#   tools/fuzz.sh seeds                      regenerate fuzz/corpus/gguf/seed-* (fuzz/make_seeds.c)
#   tools/fuzz.sh minimize TARGET            add to fuzz/corpus/<corpus> (what gets committed) the
#                                            inputs of build-fuzz/corpus/<corpus> that add coverage
# The replay programs tests/test_fuzz_replay_*.c run the committed corpus in every ctest run.
set -eu
cd "$(dirname "$0")/.."
CC=${FUZZ_CC:-$(command -v clang-14 || command -v clang)}
B=build-fuzz

corpus_of() {   # the corpus directory a target reads
    case "$1" in
        gguf|loader) echo gguf ;;
        *) echo "$1" ;;
    esac
}

build() {
    cmake -S . -B "$B" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMW_SANITIZE=ON \
          -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
    cmake --build "$B" -j2 --target mw_core >/dev/null
    # the CLI's argument parser (tools/mw/args.h), compiled once for fuzz_cli_args
    "$CC" -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
          -c tools/mw/args.c -o "$B/cli_args.o"
    for src in fuzz/fuzz_*.c; do
        t=$(basename "$src" .c)
        extra=""
        [ "$t" = fuzz_cli_args ] && extra="$B/cli_args.o"
        "$CC" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
              -Icore -Icore/include -DMW_SOURCE_DIR="\"$PWD\"" -DMW_TEST_DATA="\"$PWD/tests/data\"" \
              "$src" $extra "$B/libmw_core.a" -lm -lpthread -o "$B/$t"
        echo "built $B/$t"
    done
}

run() {
    secs=${1:-60}
    [ $# -gt 0 ] && shift
    targets=${*:-$(for s in fuzz/fuzz_*.c; do basename "$s" .c | sed 's/^fuzz_//'; done)}
    mkdir -p "$B/crashes"
    for t in $targets; do
        c=$(corpus_of "$t")
        mkdir -p "$B/corpus/$c"
        echo "== fuzz_$t for ${secs}s (corpus $c)"
        # rss/malloc limits: a target must refuse huge models, never try to allocate them
        "$B/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=512 \
            -timeout=10 -max_len=65536 -print_final_stats=1 \
            -artifact_prefix="$B/crashes/$t-" "$B/corpus/$c" "fuzz/corpus/$c" 2>&1 |
            grep -E "stat::|ERROR|SUMMARY|crash|Done" || true
    done
}

# fuzz_bounded NICE TARGET DIR LIMIT CORPUS: run fuzz_TARGET (at nice level NICE) until LIMIT
# (-max_total_time=S or -runs=N) on CORPUS (new inputs go there) plus the committed corpus; log
# and artifacts under DIR. Prints the errors, sets $execs, fails on any artifact.
fuzz_bounded() {
    mkdir -p "$3/crashes" "$5"
    rc=0
    nice -n "$1" "$B/fuzz_$2" "$4" -rss_limit_mb=2048 -malloc_limit_mb=512 \
        -timeout=10 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="$3/crashes/$2-" "$5" "fuzz/corpus/$(corpus_of "$2")" >"$3/$2.log" 2>&1 || rc=1
    [ $rc -eq 0 ] || grep -E "ERROR|SUMMARY" "$3/$2.log" | head -5
    execs=$(grep -E "stat::number_of_executed_units" "$3/$2.log" | awk '{print $2}')
    return $rc
}

# CI: a bounded run of every target from the committed corpus; any artifact (crash, leak,
# timeout, out-of-memory) fails it. New inputs go to a scratch directory, not fuzz/corpus.
ci() {
    secs=${1:-20}
    build
    rm -rf "$B/ci"
    status=0
    for src in fuzz/fuzz_*.c; do
        t=$(basename "$src" .c | sed 's/^fuzz_//')
        fuzz_bounded 0 "$t" "$B/ci" -max_total_time="$secs" "$B/ci/corpus/$t" || status=1
        echo "fuzz_$t: ${execs:-?} executions in ${secs}s"
    done
    if ls "$B/ci/crashes"/* >/dev/null 2>&1; then
        echo "fuzz: reproducers in $B/ci/crashes:"; ls "$B/ci/crashes"; status=1
    fi
    [ $status -eq 0 ] && echo "fuzz: no crash, leak or timeout"
    return $status
}

# Long runs: a count of executions, not a time, so results compare across machines and loads.
# Throughput differs a lot (fuzz_cli_args ~50k exec/s, fuzz_tokenize ~400/s on a shared 2-vCPU
# machine), so 10 M executions of every target takes hours: run it on a free machine.
long() {
    runs=${1:-10000000}
    [ $# -gt 0 ] && shift
    targets=${*:-$(for s in fuzz/fuzz_*.c; do basename "$s" .c | sed 's/^fuzz_//'; done)}
    build
    rm -rf "$B/long/crashes"
    status=0
    for t in $targets; do
        start=$(date +%s)
        fuzz_bounded 10 "$t" "$B/long" -runs="$runs" "$B/corpus/$(corpus_of "$t")" || status=1
        echo "$(date -u +%Y-%m-%d) fuzz_$t: ${execs:-?} executions in $(($(date +%s) - start)) s" |
            tee -a "$B/long.log"
        [ "${execs:-0}" -ge "$runs" ] || { echo "fuzz_$t: fewer than $runs executions" >&2; status=1; }
    done
    if ls "$B/long/crashes"/* >/dev/null 2>&1; then
        echo "fuzz: reproducers in $B/long/crashes:"; ls "$B/long/crashes"; status=1
    fi
    [ $status -eq 0 ] && echo "fuzz: no crash, leak or timeout in $runs executions per target"
    return $status
}

case "${1:-}" in
    build) build ;;
    long) shift; long "$@" ;;
    ci) shift; ci "$@" ;;
    run) shift; run "$@" ;;
    seeds)
        mkdir -p fuzz/corpus/gguf
        cc -Itests -o "${TMPDIR:-/tmp}/mw_make_seeds" fuzz/make_seeds.c
        "${TMPDIR:-/tmp}/mw_make_seeds" fuzz/corpus/gguf ;;
    minimize)
        # keep the committed files; add the fuzzer's finds that add coverage, up to MAX_LEN bytes
        # each (the committed corpus stays small), skipping content already committed
        t=$2; c=$(corpus_of "$t")
        rm -rf "$B/min/$c"; mkdir -p "$B/min/$c"
        "$B/fuzz_$t" -merge=1 -max_len="${MAX_LEN:-4096}" "$B/min/$c" "fuzz/corpus/$c" "$B/corpus/$c" 2>&1 |
            grep -E "MERGE-OUTER: [0-9]+ new files" || true
        have=$(cat "fuzz/corpus/$c"/* | wc -c)
        known=$(sha1sum "fuzz/corpus/$c"/* | cut -d' ' -f1)
        n=0
        for f in "$B/min/$c"/*; do
            h=$(sha1sum "$f" | cut -d' ' -f1)
            echo "$known" | grep -q "$h" && continue
            cp "$f" "fuzz/corpus/$c/$h"; n=$((n + 1))
        done
        echo "added $n inputs to fuzz/corpus/$c ($have bytes before, $(cat "fuzz/corpus/$c"/* | wc -c) after)" ;;
    *) sed -n '2,17p' "$0"; exit 2 ;;
esac
