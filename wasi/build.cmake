# build.cmake — WASI-specific settings, included by the top-level CMakeLists.txt when WASI
# (toolchain: wasi/toolchain.cmake). Every program (tests, benches, the `mw` CLI as
# build-wasi/mw.wasm) is a WASI preview-1 command module; ctest runs them through
# wasi/run.mjs. Single-threaded: Debian's wasi-libc has no pthreads, so the core's
# pool.c builds its single-thread twin (MW_HAVE_PTHREADS undefined).
option(MW_WASM_SIMD "compile the core with -msimd128 (OFF: scalar wasm build, for comparisons)" ON)
if(MW_WASM_SIMD)
  target_compile_options(mw_core PUBLIC -msimd128)
endif()
# A native-sized 8 MiB stack (wasm-ld's default is 64 KiB), placed first in linear memory so
# an overflow traps instead of silently overwriting static data.
target_link_options(mw_core INTERFACE -Wl,-z,stack-size=8388608 -Wl,--stack-first)
# 2 GiB of linear memory from the start (pages are committed only when touched), up to 4 GiB:
# Node 20's node:wasi keeps using the memory's old backing store after a memory.grow moves it,
# which corrupts V8's heap once a model of a few hundred MiB has grown the memory (GC crash,
# exit 133, or a segfault at exit, 139). Without growth below 2 GiB every run is clean;
# wasmtime and other runtimes are unaffected either way.
target_link_options(mw_core INTERFACE -Wl,--initial-memory=2147483648 -Wl,--max-memory=4294967296)
