# web/module.cmake — the two ES modules of the JS package, included by CMakeLists.txt under
# Emscripten (mw_add_web_module comes from cmake/emscripten.cmake):
#   build-web/mw-mt.mjs + .wasm + .worker.js  SIMD128 + pthreads (cross-origin isolated pages, Node)
#   build-web/mw-st.mjs + .wasm               SIMD128, single thread (pages without COOP/COEP)
# Both are web/api.c (the export layer, functions marked EMSCRIPTEN_KEEPALIVE) over the core;
# web/core.mjs loads them. UTF8ToString etc. are added by mw_add_web_module.
set(MW_WEB_RUNTIME_METHODS wasmMemory)
mw_add_web_module(mw_web_mt THREADS OUTPUT_NAME mw-mt SOURCES "${PROJECT_SOURCE_DIR}/web/api.c"
                  EXPORTED_RUNTIME_METHODS ${MW_WEB_RUNTIME_METHODS})
mw_add_web_module(mw_web_st SINGLE OUTPUT_NAME mw-st SOURCES "${PROJECT_SOURCE_DIR}/web/api.c"
                  EXPORTED_RUNTIME_METHODS ${MW_WEB_RUNTIME_METHODS})
