# web/module.cmake — the two ES modules of the JS package, included by CMakeLists.txt under
# Emscripten (mw_add_web_module comes from cmake/emscripten.cmake):
#   build-web/mw-mt.mjs + .wasm + .worker.js  SIMD128 + pthreads (cross-origin isolated pages, Node)
#   build-web/mw-st.mjs + .wasm               SIMD128, single thread (pages without COOP/COEP)
# Both are the core + web/boundary.c (the adapters of web/boundary.h) and export exactly the
# functions of web/exports.txt (generated with web/boundary.generated.mjs by
# tools/gen_boundary.mjs from mw.h and boundary.h when the build configures: web/boundary.cmake;
# a wasm64 module's link line reads it too).
# web/core.mjs loads them. UTF8ToString etc. are added by mw_add_web_module.
include(${PROJECT_SOURCE_DIR}/web/boundary.cmake)
mw_generate_boundary(${PROJECT_SOURCE_DIR})
file(STRINGS "${MW_BOUNDARY_EXPORTS_FILE}" MW_WEB_EXPORTS REGEX "^[A-Za-z_]")
list(TRANSFORM MW_WEB_EXPORTS PREPEND "_")
set(MW_WEB_RUNTIME_METHODS wasmMemory)
foreach(variant mt st)
  if(variant STREQUAL "mt")
    set(kind THREADS)
  else()
    set(kind SINGLE)
  endif()
  mw_add_web_module(mw_web_${variant} ${kind} OUTPUT_NAME mw-${variant}
                    SOURCES "${PROJECT_SOURCE_DIR}/web/boundary.c"
                    EXPORTED_FUNCTIONS ${MW_WEB_EXPORTS}
                    EXPORTED_RUNTIME_METHODS ${MW_WEB_RUNTIME_METHODS})
endforeach()
