# toolchain.cmake — toolchain file for WASI preview 1 (wasm32, single-threaded):
# Debian clang (22 preferred, else 19) + Debian wasi-libc + compiler-rt wasm32.
#   apt-get install -y clang-22 lld-22 libclang-rt-22-dev-wasm32 wasi-libc
#   cmake -S . -B build-wasi -DCMAKE_TOOLCHAIN_FILE=wasi/toolchain.cmake
# Tests and build-wasi/mw.wasm run under Node's node:wasi through wasi/run.mjs
# (see ../shared/TOOLCHAIN.md §6 for why each setting is here).
set(CMAKE_SYSTEM_NAME WASI)
set(CMAKE_SYSTEM_VERSION 1)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")

find_program(WASI_CLANG NAMES clang-22 clang-19 REQUIRED)
set(CMAKE_C_COMPILER "${WASI_CLANG}")
string(REGEX MATCH "[0-9]+$" _mw_clang_v "${WASI_CLANG}")
find_program(WASI_AR NAMES llvm-ar-${_mw_clang_v} llvm-ar REQUIRED)
find_program(WASI_RANLIB NAMES llvm-ranlib-${_mw_clang_v} llvm-ranlib REQUIRED)
set(CMAKE_AR "${WASI_AR}" CACHE FILEPATH "")
set(CMAKE_RANLIB "${WASI_RANLIB}" CACHE FILEPATH "")
set(CMAKE_TRY_COMPILE_PLATFORM_VARIABLES WASI_CLANG WASI_SYSROOT_OVERRIDE)

if(WASI_SYSROOT_OVERRIDE)
  set(WASI_SYSROOT "${WASI_SYSROOT_OVERRIDE}")    # e.g. a newer wasi-libc sysroot (TOOLCHAIN.md §6.5)
else()
  # A private sysroot of symlinks: keeps host /usr/include out of the search path, and lets the
  # wasm32-wasip1 triple find Debian's files, which live under the wasm32-wasi name.
  if(NOT EXISTS /usr/include/wasm32-wasi/stdio.h)
    message(FATAL_ERROR "wasi-libc not found in /usr/include/wasm32-wasi: apt-get install wasi-libc")
  endif()
  set(WASI_SYSROOT "${CMAKE_BINARY_DIR}/wasi-sysroot")
  foreach(_t wasm32-wasi wasm32-wasip1)
    file(MAKE_DIRECTORY "${WASI_SYSROOT}/include" "${WASI_SYSROOT}/lib")
    file(CREATE_LINK /usr/include/wasm32-wasi "${WASI_SYSROOT}/include/${_t}" SYMBOLIC)
    file(CREATE_LINK /usr/lib/wasm32-wasi "${WASI_SYSROOT}/lib/${_t}" SYMBOLIC)
  endforeach()
endif()

if(_mw_clang_v GREATER_EQUAL 22)
  set(CMAKE_C_COMPILER_TARGET wasm32-wasip1)      # clang-22 deprecates wasm32-wasi
  # don't let clang run Debian's older binaryen (108) wasm-opt on -O links
  set(CMAKE_EXE_LINKER_FLAGS_INIT "--no-wasm-opt")
else()
  set(CMAKE_C_COMPILER_TARGET wasm32-wasi)        # clang-19 + wasip1 misses Debian's compiler-rt;
  # and clang-19's --no-wasm-opt silently skips the link, so it is not passed
endif()
set(CMAKE_SYSROOT "${WASI_SYSROOT}")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)

# ctest runs each test .wasm under Node's WASI (preview 1) implementation
find_program(NODE_EXECUTABLE NAMES node nodejs REQUIRED)
get_filename_component(_mw_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(CMAKE_CROSSCOMPILING_EMULATOR "${NODE_EXECUTABLE};--no-warnings;${_mw_root}/wasi/run.mjs"
    CACHE STRING "runs .wasm programs (node:wasi)")
