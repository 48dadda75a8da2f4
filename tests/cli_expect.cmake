# cli_expect.cmake — runs the mw binary once (or twice) and checks its exit status and output.
# Used by tests/cli.cmake through `cmake -P`:
#   -DMW=<mw, prefixed by its runner when cross-compiled; parts separated by |>
#   -DARGS=<arguments separated by |>  [-DEXPECT_RC=0]
#   [-DSTDOUT_EQUALS=<exact stdout>] [-DSTDOUT_MATCHES=<regex>] [-DSTDERR_MATCHES=<regex>]
#   [-DREPEAT=1]  (run a second time: stdout must be identical)
# Arguments are '|'-separated because ';' would be split by CMake's list handling.
if(NOT DEFINED MW OR NOT DEFINED ARGS)
  message(FATAL_ERROR "cli_expect.cmake needs -DMW=... and -DARGS=...")
endif()
if(NOT DEFINED EXPECT_RC)
  set(EXPECT_RC 0)
endif()
string(REPLACE "|" ";" mw_cmd "${MW}")
string(REPLACE "|" ";" arg_list "${ARGS}")

execute_process(COMMAND ${mw_cmd} ${arg_list}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "mw ${arg_list}\n-- exit ${rc}\n-- stdout: ${out}\n-- stderr: ${err}")

if(NOT "${rc}" STREQUAL "${EXPECT_RC}")
  message(FATAL_ERROR "exit status ${rc}, expected ${EXPECT_RC}")
endif()
if(DEFINED STDOUT_EQUALS AND NOT "${out}" STREQUAL "${STDOUT_EQUALS}")
  message(FATAL_ERROR "stdout differs:\n  got      [${out}]\n  expected [${STDOUT_EQUALS}]")
endif()
if(DEFINED STDOUT_MATCHES AND NOT "${out}" MATCHES "${STDOUT_MATCHES}")
  message(FATAL_ERROR "stdout does not match regex [${STDOUT_MATCHES}]")
endif()
if(DEFINED STDERR_MATCHES AND NOT "${err}" MATCHES "${STDERR_MATCHES}")
  message(FATAL_ERROR "stderr does not match regex [${STDERR_MATCHES}]")
endif()
if(NOT "${EXPECT_RC}" STREQUAL "0" AND NOT "${out}" STREQUAL "")
  message(FATAL_ERROR "a failing command must leave stdout empty")
endif()
if(REPEAT)
  execute_process(COMMAND ${mw_cmd} ${arg_list} RESULT_VARIABLE rc2 OUTPUT_VARIABLE out2
                  ERROR_QUIET)
  if(NOT "${out2}" STREQUAL "${out}" OR NOT "${rc2}" STREQUAL "${rc}")
    message(FATAL_ERROR "second run differs:\n  first  [${out}]\n  second [${out2}]")
  endif()
endif()
