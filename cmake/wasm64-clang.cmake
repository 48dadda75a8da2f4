# wasm64-clang.cmake — toolchain file for the freestanding browser module build-wasm64/mw64.wasm
# (web/wasm64/CMakeLists.txt sets it itself): clang-22 for wasm64-unknown-unknown (memory64),
# no libc (web/freestanding/ provides the pieces), compiler-rt builtins for wasm64.
#   apt-get install -y clang-22 lld-22 libclang-rt-22-dev-wasm64
# ../shared/TOOLCHAIN.md §5, §7, §13.1: clang-19 cannot be used (its --no-wasm-opt drops the
# link, and without it binaryen 108's wasm-opt breaks wasm64 output).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR wasm64)
find_program(WASM64_CLANG NAMES clang-22 REQUIRED)
set(CMAKE_C_COMPILER "${WASM64_CLANG}")
set(CMAKE_C_COMPILER_TARGET wasm64-unknown-unknown)
find_program(WASM64_AR NAMES llvm-ar-22 llvm-ar REQUIRED)
find_program(WASM64_RANLIB NAMES llvm-ranlib-22 llvm-ranlib REQUIRED)
set(CMAKE_AR "${WASM64_AR}" CACHE FILEPATH "")
set(CMAKE_RANLIB "${WASM64_RANLIB}" CACHE FILEPATH "")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# every object must be built with atomics + bulk memory to link with --shared-memory; the host's
# /usr/include must never be searched (-nostdlibinc keeps clang's own stddef/stdint/wasm_simd128)
set(CMAKE_C_FLAGS_INIT "-msimd128 -matomics -mbulk-memory -nostdlibinc")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-nostdlib --no-wasm-opt")
