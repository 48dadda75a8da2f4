# web/boundary.cmake — the generated side of the wasm boundary, made at build time. Included by
# both browser module builds (web/module.cmake under Emscripten, web/wasm64/CMakeLists.txt):
# runs tools/gen_boundary.mjs when the build configures, which rewrites web/exports.txt and
# web/boundary.generated.mjs if mw.h or boundary.h say something new, and makes those two
# headers configure dependencies, so editing them re-runs this on the next build.
# Sets MW_BOUNDARY_EXPORTS_FILE (the list of exported C names, one a line).
function(mw_generate_boundary root)
  find_program(MW_NODE node REQUIRED)
  execute_process(COMMAND "${MW_NODE}" "${root}/tools/gen_boundary.mjs"
                  RESULT_VARIABLE gen_status ERROR_VARIABLE gen_error)
  if(NOT gen_status EQUAL 0)
    message(FATAL_ERROR "tools/gen_boundary.mjs failed: ${gen_error}")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
               "${root}/core/include/mw.h" "${root}/web/boundary.h"
               "${root}/tools/gen_boundary.mjs" "${root}/web/exports.txt")
  set(MW_BOUNDARY_EXPORTS_FILE "${root}/web/exports.txt" PARENT_SCOPE)
endfunction()
