/* emscripten.h — what web/api.c uses from Emscripten, for building it unchanged into the
 * freestanding wasm64 module: EMSCRIPTEN_KEEPALIVE exports the function (the build links with
 * --export-dynamic and hides everything else), and EM_JS(ret, name, params, body) becomes an
 * import env.name that the JS glue (web/wasm64/glue.mjs) provides. */
#ifndef MW_FS_EMSCRIPTEN_H
#define MW_FS_EMSCRIPTEN_H

#define EMSCRIPTEN_KEEPALIVE __attribute__((used, visibility("default")))
#define EM_JS(ret, name, params, ...) \
    __attribute__((import_module("env"), import_name(#name))) ret name params;

#endif
