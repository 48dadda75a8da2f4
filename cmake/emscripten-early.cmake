# emscripten-early.cmake — Emscripten settings every target needs from its creation on; included
# right after project() (the rest is cmake/emscripten.cmake, included after the targets exist).
# emcmake's default emulator is "node;--experimental-wasm-threads", which Node 20 rejects.
find_program(NODE_EXECUTABLE NAMES node nodejs REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${NODE_EXECUTABLE}")
# emcc's JS optimizer (any -O2/-O3 link) needs Debian's acorn from /usr/share/nodejs, which
# NodeSource's node does not search.
set(CMAKE_C_LINKER_LAUNCHER "${CMAKE_COMMAND};-E;env;NODE_PATH=/usr/share/nodejs")
# The pthread *.worker.js files are CommonJS: keep build-web out of any "type":"module" scope.
file(WRITE "${CMAKE_BINARY_DIR}/package.json" "{ \"type\": \"commonjs\" }\n")

