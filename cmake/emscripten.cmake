# emscripten.cmake — Emscripten (Debian 3.1.6) settings, included by the top-level CMakeLists.txt
# after the core, tests and tools are defined:
#   emcmake cmake -S . -B build-web && cmake --build build-web -j2 && ctest --test-dir build-web
# - mw_core     the core with SIMD128 + pthreads (tests link it; needs SharedArrayBuffer)
# - mw_core_st  the same sources with SIMD128, single-threaded (pool.c's single-thread twin)
# - every executable defined before this file (tests, benches, the `mw` CLI) becomes a Node
#   program (mw_node_program): host files through NODERAWFS, wasm embedded in the .js, run by
#   ctest via node (tests/cli.cmake runs build-web/mw.js like the native mw)
# - mw_add_web_module(): the ES module + .wasm builds for browsers and Node (used by web/module.cmake)
# Workarounds for 3.1.6 + NodeSource Node 20 are explained in ../shared/TOOLCHAIN.md §3 and §11.

option(MW_WASM_SIMD "compile the core with -msimd128 (OFF: scalar wasm build, for comparisons)" ON)
set(MW_WASM_SIMD_FLAG "")
if(MW_WASM_SIMD)
  set(MW_WASM_SIMD_FLAG -msimd128)
endif()

# (emulator, NODE_PATH link launcher and build-web/package.json: cmake/emscripten-early.cmake)

# ---- mw_core_st: a copy of mw_core's settings minus threads (taken before -pthread is added) ----
add_library(mw_core_st STATIC)
foreach(prop SOURCES INCLUDE_DIRECTORIES INTERFACE_INCLUDE_DIRECTORIES COMPILE_DEFINITIONS
             COMPILE_OPTIONS INTERFACE_COMPILE_OPTIONS INTERFACE_COMPILE_DEFINITIONS
             LINK_LIBRARIES INTERFACE_LINK_LIBRARIES INTERFACE_LINK_OPTIONS)
  get_target_property(_v mw_core ${prop})
  if(_v)
    list(FILTER _v EXCLUDE REGEX "^(MW_HAVE_PTHREADS.*|Threads::Threads|-pthread)$")
    set_property(TARGET mw_core_st PROPERTY ${prop} "${_v}")
  endif()
endforeach()
target_compile_options(mw_core_st PUBLIC ${MW_WASM_SIMD_FLAG})

# ---- mw_core: SIMD128 + pthreads ----
target_compile_options(mw_core PUBLIC ${MW_WASM_SIMD_FLAG} -pthread)
target_compile_definitions(mw_core PRIVATE MW_HAVE_PTHREADS=1)
target_link_options(mw_core INTERFACE -pthread)

# Link flags of a program run by Node (ctest, or `node build-web/<name>.js`):
#  NODERAWFS: fopen/open see the host file system (tests read MW_TEST_DATA by absolute path);
#  SINGLE_FILE: the wasm is embedded, no fetch() of a file: URL; memory grows up to 4 GiB;
#  EXIT_RUNTIME: main's return value becomes the exit status and the pthread pool is torn down;
#  a pool of 4 pre-started workers, and pthread_create fails (instead of deadlocking) beyond it.
set(MW_NODE_PROGRAM_FLAGS -sNODERAWFS=1 -sSINGLE_FILE=1 -sEXIT_RUNTIME=1
    -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB -Wno-pthreads-mem-growth
    -sPTHREAD_POOL_SIZE=4 -sPTHREAD_POOL_SIZE_STRICT=2)
# Test programs (sources under tests/) link with -O1: their code is already compiled -O3, and
# emcc's -O3 link (binaryen -O3 + JS optimizer) costs ~4x the time for no visible test speed.
function(mw_node_program target)
  target_link_options(${target} PRIVATE ${MW_NODE_PROGRAM_FLAGS})
  get_target_property(_srcs ${target} SOURCES)
  list(GET _srcs 0 _first)
  if(_first MATCHES "(^|/)tests/")
    target_link_options(${target} PRIVATE -O1)
  endif()
  set_target_properties(${target} PROPERTIES
    CROSSCOMPILING_EMULATOR "${NODE_EXECUTABLE}" C_LINKER_LAUNCHER "${CMAKE_C_LINKER_LAUNCHER}")
endfunction()

# Every executable defined so far (tests, benches, `mw`, CLI tests' helpers) is a Node program.
get_property(_mw_targets DIRECTORY "${CMAKE_CURRENT_SOURCE_DIR}" PROPERTY BUILDSYSTEM_TARGETS)
foreach(t ${_mw_targets})
  get_target_property(_type ${t} TYPE)
  if(_type STREQUAL "EXECUTABLE")
    mw_node_program(${t})
  endif()
endforeach()
# The Node CLI is tools/mw itself: build-web/mw.js (SIMD128 + threads; host files through
# NODERAWFS), which web/mw.mjs launches and tests/cli.cmake tests like the native and WASI
# builds. Its single-thread twin build-web/mw-st.js (the core of mw-st.mjs, for `bench --wasm
# st` comparisons) is built on request: cmake --build build-web --target mw_st.
if(TARGET mw)
  add_executable(mw_st ${MW_CLI_SOURCES})
  target_link_libraries(mw_st PRIVATE mw_core_st)   # core/include only, as the native CLI
  set_target_properties(mw_st PROPERTIES OUTPUT_NAME mw-st EXCLUDE_FROM_ALL TRUE)
  target_link_options(mw_st PRIVATE -sNODERAWFS=1 -sSINGLE_FILE=1 -sEXIT_RUNTIME=1
                      -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB)
  set_target_properties(mw_st PROPERTIES
    CROSSCOMPILING_EMULATOR "${NODE_EXECUTABLE}" C_LINKER_LAUNCHER "${CMAKE_C_LINKER_LAUNCHER}")
endif()

# mw_add_web_module(<target> THREADS|SINGLE OUTPUT_NAME <name> SOURCES <c files...>
#                   [EXPORT_NAME <factory>] [EXPORTED_FUNCTIONS _f ...]
#                   [EXPORTED_RUNTIME_METHODS m ...] [LINK_OPTIONS opt ...])
# Builds ${CMAKE_BINARY_DIR}/<name>.mjs + <name>.wasm (+ <name>.worker.js with THREADS): an ES
# module whose default export is the factory (`import create from './mw-mt.mjs'; await create()`),
# loading in browsers, workers and Node 20. Links mw_core (THREADS) or mw_core_st (SINGLE).
# Functions marked EMSCRIPTEN_KEEPALIVE are exported without being listed; _malloc and _free
# always are. THREADS: the pool is Module.nThreads || navigator.hardwareConcurrency || 4 workers,
# and pthread_create fails beyond it (never start more threads than the pool).
function(mw_add_web_module target)
  cmake_parse_arguments(W "THREADS;SINGLE" "OUTPUT_NAME;EXPORT_NAME"
                        "SOURCES;EXPORTED_FUNCTIONS;EXPORTED_RUNTIME_METHODS;LINK_OPTIONS" ${ARGN})
  if(W_THREADS STREQUAL W_SINGLE)
    message(FATAL_ERROR "mw_add_web_module(${target}): give exactly one of THREADS or SINGLE")
  endif()
  if(NOT W_OUTPUT_NAME)
    set(W_OUTPUT_NAME ${target})
  endif()
  if(NOT W_EXPORT_NAME)
    set(W_EXPORT_NAME createMw)
  endif()
  set(fns _malloc _free ${W_EXPORTED_FUNCTIONS})
  list(REMOVE_DUPLICATES fns)
  string(REPLACE ";" "," fns "${fns}")
  set(rt ccall cwrap UTF8ToString stringToUTF8 lengthBytesUTF8 HEAPU8 ${W_EXPORTED_RUNTIME_METHODS})
  list(REMOVE_DUPLICATES rt)
  string(REPLACE ";" "," rt "${rt}")

  set(MW_WASM "${W_OUTPUT_NAME}.wasm")
  set(pre "${CMAKE_BINARY_DIR}/${W_OUTPUT_NAME}.pre.js")
  configure_file("${PROJECT_SOURCE_DIR}/cmake/node-compat.pre.js.in" "${pre}" @ONLY)

  add_executable(${target} ${W_SOURCES})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${W_OUTPUT_NAME} SUFFIX ".mjs"
    RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}" C_LINKER_LAUNCHER "${CMAKE_C_LINKER_LAUNCHER}"
    CROSSCOMPILING_EMULATOR "${NODE_EXECUTABLE}"
    LINK_DEPENDS "${PROJECT_SOURCE_DIR}/cmake/node-compat.extern-pre.js;${pre}")
  target_link_options(${target} PRIVATE
    -sMODULARIZE=1 -sEXPORT_ES6=1 -sEXPORT_NAME=${W_EXPORT_NAME} -sENVIRONMENT=web,worker,node
    -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=4GB
    "-sEXPORTED_FUNCTIONS=${fns}" "-sEXPORTED_RUNTIME_METHODS=${rt}"
    "--extern-pre-js=${PROJECT_SOURCE_DIR}/cmake/node-compat.extern-pre.js" "--pre-js=${pre}"
    ${W_LINK_OPTIONS})
  if(W_THREADS)
    target_link_libraries(${target} PRIVATE mw_core)
    target_link_options(${target} PRIVATE -Wno-pthreads-mem-growth -sPTHREAD_POOL_SIZE_STRICT=2
      "-sPTHREAD_POOL_SIZE=Module.nThreads||(typeof navigator=='object'&&navigator.hardwareConcurrency)||4")
  else()
    target_link_libraries(${target} PRIVATE mw_core_st)
  endif()
  # core/include only (from mw_core): the boundary sees mw.h, so a private include fails here
endfunction()
