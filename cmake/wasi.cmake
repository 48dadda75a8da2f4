# wasi.cmake — WASI-specific settings, included by the top-level CMakeLists.txt when WASI
# (toolchain: cmake/wasi-clang.cmake). Every program (tests, benches, the `mw` CLI as
# build-wasi/mw.wasm) is a WASI preview-1 command module; ctest runs them through
# tools/wasi-run.mjs. Single-threaded: Debian's wasi-libc has no pthreads, so the core's
# pool.c builds its single-thread twin (MW_HAVE_PTHREADS undefined).
option(MW_WASM_SIMD "compile the core with -msimd128 (OFF: scalar wasm build, for comparisons)" ON)
if(MW_WASM_SIMD)
  target_compile_options(mw_core PUBLIC -msimd128)
endif()
# A native-sized 8 MiB stack (wasm-ld's default is 64 KiB), placed first in linear memory so
# an overflow traps instead of silently overwriting static data.
target_link_options(mw_core INTERFACE -Wl,-z,stack-size=8388608 -Wl,--stack-first)
