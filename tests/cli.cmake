# cli.cmake — ctest cases that drive the built `mw` binary (included from CMakeLists.txt).
#  - cli_args: unit checks of the argument parser (tests/cli_args_check.c + tools/mw/args.c)
#  - generate: greedy continuation of the bundled stories260K equals llama.cpp's (ids and text)
#  - logits: `mw logits` (batched and --stepwise) against llama.cpp's reference logits, through
#    tests/cli_compare_logits.c; teacher-forced generation rows too
#  - tokenize / detokenize / info / bench output, seeded sampling reproducibility
#  - error paths: exit status 1, "mw: error: ..." on stderr, nothing on stdout
# Each output check runs tests/cli_expect.cmake (cmake -P). Native and WASI builds (under the
# WASI runner); skipped under Emscripten, where `mw` is a Node module without direct file access.
if(NOT TARGET mw OR EMSCRIPTEN)
  return()
endif()

set(MW_CLI_OUT "${CMAKE_BINARY_DIR}/cli-out")
file(MAKE_DIRECTORY "${MW_CLI_OUT}")
set(MW_CLI_MODEL "${CMAKE_SOURCE_DIR}/models/stories260K.gguf")
set(MW_CLI_REF "${CMAKE_SOURCE_DIR}/tests/data/reference")
# how to start a program of this build (the WASI runner when cross-compiling), '|'-joined
set(MW_CLI_RUNNER "")
if(CMAKE_CROSSCOMPILING_EMULATOR)
  list(JOIN CMAKE_CROSSCOMPILING_EMULATOR "|" MW_CLI_RUNNER)
  set(MW_CLI_RUNNER "${MW_CLI_RUNNER}|")
endif()

add_executable(cli_args_check tests/cli_args_check.c tools/mw/args.c)
target_include_directories(cli_args_check PRIVATE tests)
target_link_libraries(cli_args_check PRIVATE m)
add_test(NAME cli_args COMMAND cli_args_check)

add_executable(cli_compare_logits tests/cli_compare_logits.c)
target_link_libraries(cli_compare_logits PRIVATE m)

# mw_cli_test(NAME [RC n] [STDOUT_EQUALS s] [STDOUT_MATCHES re] [STDERR_MATCHES re] [REPEAT]
#             [FIXTURE name] ARGS arg...)
function(mw_cli_test name)
  cmake_parse_arguments(T "REPEAT" "RC;STDOUT_EQUALS;STDOUT_MATCHES;STDERR_MATCHES;FIXTURE"
                        "ARGS" ${ARGN})
  list(JOIN T_ARGS "|" joined)
  set(defs "-DMW=${MW_CLI_RUNNER}$<TARGET_FILE:mw>" "-DARGS=${joined}")
  if(DEFINED T_RC)
    list(APPEND defs "-DEXPECT_RC=${T_RC}")
  endif()
  foreach(key STDOUT_EQUALS STDOUT_MATCHES STDERR_MATCHES)
    if(DEFINED T_${key})
      list(APPEND defs "-D${key}=${T_${key}}")
    endif()
  endforeach()
  if(T_REPEAT)
    list(APPEND defs "-DREPEAT=1")
  endif()
  add_test(NAME cli_${name}
           COMMAND ${CMAKE_COMMAND} ${defs} -P "${CMAKE_SOURCE_DIR}/tests/cli_expect.cmake"
           WORKING_DIRECTORY "${MW_CLI_OUT}")
  if(T_FIXTURE)
    set_tests_properties(cli_${name} PROPERTIES FIXTURES_SETUP ${T_FIXTURE})
  endif()
endfunction()

# mw_cli_logits_test(NAME MODEL "IDS" REFERENCE TOLERANCE ROW_OFFSET [extra mw args...]):
# `mw logits` writes a file (setup fixture), cli_compare_logits checks it against REFERENCE
function(mw_cli_logits_test name model ids reference tolerance offset)
  set(out "${MW_CLI_OUT}/${name}.f32")
  mw_cli_test(logits_${name} FIXTURE cli_logits_${name}
              ARGS logits -m ${model} --tokens "${ids}" --out ${out} ${ARGN})
  add_test(NAME cli_logits_${name}_compare
           COMMAND cli_compare_logits ${out} ${reference} 512 ${tolerance} ${offset})
  set_tests_properties(cli_logits_${name}_compare PROPERTIES FIXTURES_REQUIRED cli_logits_${name})
endfunction()

# ---- llama.cpp's greedy continuation of "Once upon a time" (../shared/models/README.md) ----
set(ONCE_IDS_40 "432 383 286 261 376 298 315 421 395 317 426 338 401 396 267 337 410 408 419 292 411 322 265 282 295 433 426 385 328 432 358 394 261 370 432 352 266 268 388 426")
set(ONCE_TEXT_40 ", there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.")
mw_cli_test(generate_greedy_ids STDOUT_EQUALS "${ONCE_IDS_40}\n"
            ARGS generate -m ${MW_CLI_MODEL} -p "Once upon a time" -n 40 --temp 0 --print-ids)
mw_cli_test(generate_greedy_text STDOUT_EQUALS "${ONCE_TEXT_40}"
            STDERR_MATCHES "prompt 5 tokens.*generation 40 tokens.*tokens/s"
            ARGS generate -m ${MW_CLI_MODEL} -p "Once upon a time" -n 40 --temp 0)
mw_cli_test(generate_greedy_q8_0 STDOUT_EQUALS "${ONCE_IDS_40}\n"
            ARGS generate -m ${CMAKE_SOURCE_DIR}/models/stories260K.Q8_0.gguf
                 -p "Once upon a time" -n 40 --temp 0 --print-ids)
mw_cli_test(generate_prompt_ids STDOUT_EQUALS "${ONCE_TEXT_40}"
            ARGS generate -m ${MW_CLI_MODEL} --prompt-ids "1 403 407 261 378" -n 40 --temp 0)
# second prompt: the first generated piece keeps its leading space (" They")
mw_cli_test(generate_greedy_lily
            STDOUT_EQUALS " They saw a big box with a big box. They want"
            ARGS generate -m ${MW_CLI_MODEL} -p "Lily and Tom went to the park." -n 16 --temp 0)
# seeded sampling: the same seed gives the same ids, run after run and on every build
mw_cli_test(generate_seeded REPEAT STDOUT_EQUALS "432 383 286 261 268 414 422 395 326 426 326 401 396 267 337 410 408 419 292 411 322 265 262 379\n"
            ARGS generate -m ${MW_CLI_MODEL} -p "Once upon a time" -n 24 --seed 42 --print-ids)
mw_cli_test(generate_n0 STDOUT_EQUALS "\n"
            ARGS generate -m ${MW_CLI_MODEL} -p "Once" -n 0 --print-ids)

# ---- logits against llama.cpp (the lead's unit test covers every model through the API) ----
set(ONCE_PROMPT "1 403 407 261 378")
mw_cli_logits_test(stories260K_f32 ${MW_CLI_MODEL} "${ONCE_PROMPT}"
                   ${MW_CLI_REF}/stories260K.F32.logits.f32 1e-4 0)
mw_cli_logits_test(stories260K_f32_stepwise ${MW_CLI_MODEL} "${ONCE_PROMPT}"
                   ${MW_CLI_REF}/stories260K.F32.logits.f32 1e-4 0 --stepwise)
# teacher-forced: prompt + greedy ids[0..30]; reference row j = logits after ids[j] (row 5 + j)
set(ONCE_IDS_31 "432 383 286 261 376 298 315 421 395 317 426 338 401 396 267 337 410 408 419 292 411 322 265 282 295 433 426 385 328 432 358")
mw_cli_logits_test(stories260K_f32_gen ${MW_CLI_MODEL} "${ONCE_PROMPT} ${ONCE_IDS_31}"
                   ${MW_CLI_REF}/stories260K.F32.gen_logits.f32 1e-4 5 --stepwise)
mw_cli_logits_test(stories260K_q8_0 ${CMAKE_SOURCE_DIR}/models/stories260K.Q8_0.gguf
                   "${ONCE_PROMPT}" ${MW_CLI_REF}/stories260K.Q8_0.logits.f32 1e-3 0)
set(LILY_PROMPT "1 403 407 261 378 432 383 286 261 376 298 315 421 395 317 426 338 401 396 267 337")
mw_cli_logits_test(mistral_s_f32 ${MW_CLI_REF}/mistral-s.F32.gguf "${LILY_PROMPT}"
                   ${MW_CLI_REF}/mistral-s.F32.logits.f32 5e-4 0)
mw_cli_logits_test(mixtral_s_f32 ${MW_CLI_REF}/mixtral-s.F32.gguf "${LILY_PROMPT}"
                   ${MW_CLI_REF}/mixtral-s.F32.logits.f32 5e-4 0)
mw_cli_logits_test(mistral_s_q4_k_m ${MW_CLI_REF}/mistral-s.Q4_K_M.gguf "${LILY_PROMPT}"
                   ${MW_CLI_REF}/mistral-s.Q4_K_M.logits.f32 1e-2 0)

# ---- tokenize / detokenize / info / bench / help ----
mw_cli_test(tokenize STDOUT_EQUALS "1 403 407 261 378 432 383 286 261 376 298 315 421\n"
            ARGS tokenize -m ${MW_CLI_MODEL} "Once upon a time, there was a little girl")
mw_cli_test(tokenize_no_bos STDOUT_EQUALS "403 407 261 378\n"
            ARGS tokenize -m ${MW_CLI_MODEL} --no-bos "Once upon a time")
mw_cli_test(tokenize_file STDOUT_MATCHES "^1 [0-9 ]+\n$"
            ARGS tokenize -m ${MW_CLI_MODEL} --file ${CMAKE_SOURCE_DIR}/tests/cli.cmake)
mw_cli_test(detokenize STDOUT_EQUALS ", there was a little girl named Lily."
            ARGS detokenize -m ${MW_CLI_MODEL} --ids "432 383 286 261 376 298 315 421 395 317 426")
mw_cli_test(info STDOUT_MATCHES "architecture: +llama.*n_vocab: +512.*n_layer: +5.*tensors: +48.*F32 +48 tensors.*session n_ctx 512"
            ARGS info -m ${MW_CLI_MODEL})
mw_cli_test(info_json STDOUT_MATCHES "^{.*\"architecture\":\"llama\".*\"tensor_count\":48.*\"tensors\":.{\"name\":.*}\n$"
            ARGS info -m ${MW_CLI_MODEL} --json --tensors -c 256)
mw_cli_test(bench STDOUT_MATCHES "^{\"model\":\"stories260K.gguf\",\"type\":\"F32\",\"threads\":1,\"pp\":16,\"tg\":8,\"pp_tps\":[0-9.]+,\"tg_tps\":[0-9.]+,.*\"kernels\":\"[a-z0-9_]+\",\"build\":\"[a-z]+\"}\n$"
            ARGS bench -m ${MW_CLI_MODEL} -p 16 -n 8 -r 1)
mw_cli_test(help STDOUT_MATCHES "generate.*logits.*tokenize.*info.*bench" ARGS --help)
mw_cli_test(generate_help STDOUT_MATCHES "--prompt-ids.*--seed.*--print-ids" ARGS generate --help)

# ---- errors: exit status 1, a message, nothing on stdout ----
mw_cli_test(err_missing_model RC 1 STDERR_MATCHES "^mw: error: cannot load model '[^']*no-such-model.gguf'"
            ARGS generate -m ${MW_CLI_OUT}/no-such-model.gguf -p "Hi")
mw_cli_test(err_not_gguf RC 1 STDERR_MATCHES "^mw: error: cannot load model '[^']*CMakeLists.txt': ."
            ARGS info -m ${CMAKE_SOURCE_DIR}/CMakeLists.txt)
mw_cli_test(err_bad_tokens RC 1 STDERR_MATCHES "^mw: error: --tokens: bad token id list at 'x 3'"
            ARGS logits -m ${MW_CLI_MODEL} --tokens "1 x 3" --out ${MW_CLI_OUT}/never.f32)
mw_cli_test(err_empty_tokens RC 1 STDERR_MATCHES "mw: error: --tokens: empty token id list"
            ARGS logits -m ${MW_CLI_MODEL} --tokens " " --out ${MW_CLI_OUT}/never.f32)
mw_cli_test(err_id_out_of_range RC 1 STDERR_MATCHES "mw: error: --tokens: token id 512 .*out of range"
            ARGS logits -m ${MW_CLI_MODEL} --tokens "1 512" --out ${MW_CLI_OUT}/never.f32)
mw_cli_test(err_prompt_id_out_of_range RC 1 STDERR_MATCHES "mw: error: --prompt-ids: token id 512 .*out of range"
            ARGS generate -m ${MW_CLI_MODEL} --prompt-ids "1 512")
mw_cli_test(err_prompt_id_too_large RC 1 STDERR_MATCHES "mw: error: --prompt-ids: token id '4000000000' is too large"
            ARGS generate -m ${MW_CLI_MODEL} --prompt-ids "1 4000000000")
mw_cli_test(err_detok_out_of_range RC 1 STDERR_MATCHES "mw: error: --ids: token id 600 .*out of range"
            ARGS detokenize -m ${MW_CLI_MODEL} --ids "1 600")
mw_cli_test(err_unknown_command RC 1 STDERR_MATCHES "^mw: error: unknown subcommand 'frobnicate'"
            ARGS frobnicate -m ${MW_CLI_MODEL})
mw_cli_test(err_no_command RC 1 STDERR_MATCHES "^mw: error: missing subcommand" ARGS "")
mw_cli_test(err_unknown_option RC 1 STDERR_MATCHES "^mw: error: generate: unknown option '--bogus'"
            ARGS generate -m ${MW_CLI_MODEL} --bogus)
mw_cli_test(err_missing_m RC 1 STDERR_MATCHES "^mw: error: generate: missing -m MODEL" ARGS generate -p Hi)
mw_cli_test(err_bad_number RC 1 STDERR_MATCHES "^mw: error: --temp: expected a number, got 'warm'"
            ARGS generate -m ${MW_CLI_MODEL} -p Hi --temp warm)
mw_cli_test(err_out_unwritable RC 1 STDERR_MATCHES "^mw: error: cannot create '"
            ARGS logits -m ${MW_CLI_MODEL} --tokens "1 403" --out ${MW_CLI_OUT}/no/such/dir/x.f32)
mw_cli_test(err_missing_file RC 1 STDERR_MATCHES "^mw: error: cannot open '"
            ARGS tokenize -m ${MW_CLI_MODEL} --file ${MW_CLI_OUT}/no-such-text.txt)
