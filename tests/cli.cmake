# cli.cmake — ctest cases that drive the built `mw` binary (included from CMakeLists.txt).
#  - cli_args: unit checks of the argument parser (tests/cli_args_check.c + tools/mw/args.c)
#  - generate: greedy continuation of the bundled stories260K equals llama.cpp's (ids and text)
#  - logits: `mw logits` (batched and --stepwise) against llama.cpp's reference logits, through
#    tests/cli_compare_logits.c; teacher-forced generation rows too
#  - tokenize / detokenize / info / bench output, seeded sampling reproducibility
#  - error paths: exit status 1, "mw: error: ..." on stderr, nothing on stdout
# Each output check runs tests/cli_expect.cmake (cmake -P). Native, WASI and Emscripten builds
# (the last two through their runner: wasi/run.mjs, or node for build-web/mw.js).
if(NOT TARGET mw)
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
            STDERR_MATCHES "prompt 5 tokens.*generation 40 tokens \\(39 evaluated\\) in .*tokens/s"
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
# streamed experts (--expert-cache): the resident model's logits bit for bit (tolerance 0),
# batched and one token at a time. Q4_K_M: one expert is 0.22 MiB, so 0.25 MiB holds one (every
# use reads) and 1 MiB holds four of the 16.
mw_cli_logits_test(mixtral_s_q4_k_m ${MW_CLI_REF}/mixtral-s.Q4_K_M.gguf "${LILY_PROMPT}"
                   ${MW_CLI_REF}/mixtral-s.Q4_K_M.logits.f32 0.5 0)
mw_cli_logits_test(mixtral_s_q4_k_m_stepwise ${MW_CLI_REF}/mixtral-s.Q4_K_M.gguf "${LILY_PROMPT}"
                   ${MW_CLI_REF}/mixtral-s.Q4_K_M.logits.f32 0.5 0 --stepwise)
foreach(mb 0.25 1)
  foreach(mode batched stepwise)
    set(flag "")
    set(resident mixtral_s_q4_k_m)
    if(mode STREQUAL "stepwise")
      set(flag --stepwise)
      set(resident mixtral_s_q4_k_m_stepwise)
    endif()
    mw_cli_logits_test(mixtral_s_q4_k_m_cache${mb}_${mode} ${MW_CLI_REF}/mixtral-s.Q4_K_M.gguf
                       "${LILY_PROMPT}" ${MW_CLI_OUT}/${resident}.f32 0 0 --expert-cache ${mb} ${flag})
    set_property(TEST cli_logits_mixtral_s_q4_k_m_cache${mb}_${mode}_compare APPEND
                 PROPERTY FIXTURES_REQUIRED cli_logits_${resident})
  endforeach()
endforeach()
mw_cli_test(err_expert_cache_small RC 1 STDERR_MATCHES "cannot hold one expert"
            ARGS logits -m ${MW_CLI_REF}/mixtral-s.Q4_K_M.gguf --tokens "1 2" --out x.f32
                 --expert-cache 0.1)
# generate's counters cover the generated tokens only; one expert's room: every use reads
mw_cli_test(generate_expert_cache
            STDERR_MATCHES "experts in generation: 0 hits, [1-9][0-9]* misses .0.0 % hits., [0-9]+[.][0-9] MB read per token"
            ARGS generate -m ${MW_CLI_REF}/mixtral-s.Q4_K_M.gguf -p "hello hello" -n 6 --temp 0 --expert-cache 0.25)
mw_cli_test(bench_expert_cache
            STDOUT_MATCHES "\"expert_hits\":[0-9]+,\"expert_misses\":[1-9][0-9]*,\"expert_bytes_read\":[1-9][0-9]*,\"expert_cache_bytes\":[1-9][0-9]*,\"expert_cache_budget\":1048576,"
            ARGS bench -m ${MW_CLI_REF}/mixtral-s.Q4_K_M.gguf -p 8 -n 4 -r 1 --expert-cache 1)
mw_cli_logits_test(mistral_s_q4_k_m ${MW_CLI_REF}/mistral-s.Q4_K_M.gguf "${LILY_PROMPT}"
                   ${MW_CLI_REF}/mistral-s.Q4_K_M.logits.f32 1e-2 0)
# F16 KV cache (llama.cpp's references use an F32 cache; its own switch to F16 moved them ~1e-2)
mw_cli_logits_test(mistral_s_f32_kv_f16 ${MW_CLI_REF}/mistral-s.F32.gguf "${LILY_PROMPT}"
                   ${MW_CLI_REF}/mistral-s.F32.logits.f32 2e-2 0 --kv-type f16)

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
# general.name with terminal escape sequences (ESC [2J, ESC [31m, BEL, DEL): printed as \xNN.
# cli_patch_name runs like the other helpers: natively, under node (Emscripten: NODERAWFS)
# and under tools/wasi-run.mjs (which preopens the parent of each absolute path argument).
add_executable(cli_patch_name tests/cli_patch_name.c)
add_test(NAME cli_info_escapes_model
         COMMAND cli_patch_name ${MW_CLI_MODEL} ${MW_CLI_OUT}/escaped-name.gguf "\\x1b[2J\\x1b[31m\\x07\\x7f")
set_tests_properties(cli_info_escapes_model PROPERTIES FIXTURES_SETUP escaped_name)
# ("." for "[": a bracket would stop CMake splitting the list of arguments)
mw_cli_test(info_escapes STDOUT_MATCHES "\nname: +\\\\x1b.2J\\\\x1b.31m\\\\x07\\\\x7f\n"
            ARGS info -m ${MW_CLI_OUT}/escaped-name.gguf)
set_tests_properties(cli_info_escapes PROPERTIES FIXTURES_REQUIRED escaped_name)
mw_cli_test(bench STDOUT_MATCHES "^{\"model\":\"stories260K.gguf\",\"type\":\"F32\",\"threads\":1,\"pp\":16,\"tg\":8,\"pp_tps\":[0-9.]+,\"tg_tps\":[0-9.]+,.*\"kernels\":\"[a-z0-9_]+\",\"build\":\"[a-z-]+\"}\n$"
            ARGS bench -m ${MW_CLI_MODEL} -p 16 -n 8 -r 1)
# the warm-up run, on other ids, fills the expert cache untimed and uncounted: the timed run's
# 16 expert uses find 14 of them cached (the same ids would find all 16; counted, 32 uses)
mw_cli_test(bench_warmup STDOUT_MATCHES "\"expert_hits\":14,\"expert_misses\":2,"
            STDERR_MATCHES "warm-up run 1/1 .untimed.: pp 0.0000 s, tg [0-9.]+ s\nmw: rep 1/1:"
            ARGS bench -m ${MW_CLI_REF}/mixtral-s.Q4_K_M.gguf -p 0 -n 4 -r 1 --expert-cache 64)
mw_cli_test(bench_no_warmup STDOUT_MATCHES "\"expert_hits\":8,\"expert_misses\":8,"
            ARGS bench -m ${MW_CLI_REF}/mixtral-s.Q4_K_M.gguf -p 0 -n 4 -r 1 --expert-cache 64 --warmup 0)
mw_cli_test(bench_depth_f16 STDOUT_MATCHES "\"depth\":16,\"kv_type\":\"f16\",\"kv_bytes\":[1-9][0-9]*,"
            ARGS bench -m ${MW_CLI_MODEL} -p 8 -n 4 -d 16 -r 1 --kv-type f16)
mw_cli_test(err_kv_type RC 1 STDERR_MATCHES "--kv-type: expected one of f32.f16, got 'q8'"
            ARGS generate -m ${MW_CLI_MODEL} -p "Once" --kv-type q8)
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

# ==== model generator: tools/gen/mw_gen_model.c (block added by the benchmarks helper) ====
# A tiny dense model of every offered type (--vocab-from the bundled model) is generated, its
# per-type tensor counts read back with `mw info` (llama-quantize's mix, tools/gen/quant_mix.h),
# and it must run (`mw generate -n 4`, four ids). Same options → byte-identical files, on any
# number of threads; another seed → different bytes. Also an 8-expert Mixtral shape, a synthetic vocabulary and refusals.
if(TARGET mw_gen_model)
  set(GEN_OUT "${MW_CLI_OUT}/gen")
  file(MAKE_DIRECTORY "${GEN_OUT}")
  set(GEN_SMALL --dim 256 --n-ff 512 --layers 2 --heads 4 --kv-heads 2 --vocab-from ${MW_CLI_MODEL} --quiet)
  # mw_gen_test(NAME OUT_FILE args...): generate OUT_FILE as fixture gen_NAME
  function(mw_gen_test name file)
    add_test(NAME gen_${name} COMMAND mw_gen_model ${ARGN} --out ${GEN_OUT}/${file})
    set_tests_properties(gen_${name} PROPERTIES FIXTURES_SETUP gen_${name})
  endfunction()
  # mw_gen_cli_test(NAME FIXTURE mw_cli_test args...): an mw check on a generated file
  function(mw_gen_cli_test name fixture)
    mw_cli_test(${name} ${ARGN})
    set_tests_properties(cli_${name} PROPERTIES FIXTURES_REQUIRED gen_${fixture})
  endfunction()

  set(GEN_INFO_F32    "F32 +21 tensors")
  set(GEN_INFO_F16    "F32 +5 tensors.*F16 +16 tensors")
  set(GEN_INFO_BF16   "F32 +5 tensors.*BF16 +16 tensors")
  set(GEN_INFO_Q8_0   "F32 +5 tensors.*Q8_0 +16 tensors")
  set(GEN_INFO_Q4_0   "F32 +5 tensors.*Q4_0 +15 tensors.*Q6_K +1 tensors")
  set(GEN_INFO_Q4_1   "F32 +5 tensors.*Q4_1 +15 tensors.*Q6_K +1 tensors")
  set(GEN_INFO_Q5_0   "F32 +5 tensors.*Q5_0 +15 tensors.*Q6_K +1 tensors")
  set(GEN_INFO_Q5_1   "F32 +5 tensors.*Q5_1 +15 tensors.*Q6_K +1 tensors")
  set(GEN_INFO_Q2_K   "F32 +5 tensors.*Q2_K +9 tensors.*Q3_K +6 tensors.*Q6_K +1 tensors")
  set(GEN_INFO_Q3_K_M "F32 +5 tensors.*Q3_K +9 tensors.*Q4_K +4 tensors.*Q5_K +2 tensors.*Q6_K +1 tensors")
  set(GEN_INFO_Q4_K_M "F32 +5 tensors.*Q4_K +13 tensors.*Q6_K +3 tensors")
  set(GEN_INFO_Q5_K_M "F32 +5 tensors.*Q5_K +13 tensors.*Q6_K +3 tensors")
  set(GEN_INFO_Q6_K   "F32 +5 tensors.*Q6_K +16 tensors")
  foreach(type F32 F16 BF16 Q8_0 Q4_0 Q4_1 Q5_0 Q5_1 Q2_K Q3_K_M Q4_K_M Q5_K_M Q6_K)
    mw_gen_test(${type} ${type}.gguf ${GEN_SMALL} --type ${type} --threads 1)
    mw_gen_cli_test(gen_${type}_info ${type} STDOUT_MATCHES "n_embd: +256.*n_layer: +2.*${GEN_INFO_${type}}"
                    ARGS info -m ${GEN_OUT}/${type}.gguf)
    mw_gen_cli_test(gen_${type}_generate ${type} STDOUT_MATCHES "^[0-9]+ [0-9]+ [0-9]+ [0-9]+\n$"
                    ARGS generate -m ${GEN_OUT}/${type}.gguf -p "Once upon a time" -n 4 --temp 0 --print-ids)
  endforeach()

  # determinism: the same options give the same bytes whatever the thread count (the Q4_K_M
  # above on 1 thread, again on 2; the Mixtral shape below on 1 and 3: uneven shares); another
  # seed does not
  mw_gen_test(Q4_K_M_again Q4_K_M-again.gguf ${GEN_SMALL} --type Q4_K_M --threads 2)
  mw_gen_test(Q4_K_M_seed2 Q4_K_M-seed2.gguf ${GEN_SMALL} --type Q4_K_M --seed 2)
  add_test(NAME gen_deterministic
           COMMAND ${CMAKE_COMMAND} -E compare_files ${GEN_OUT}/Q4_K_M.gguf ${GEN_OUT}/Q4_K_M-again.gguf)
  add_test(NAME gen_seed_changes_weights
           COMMAND ${CMAKE_COMMAND} -E compare_files ${GEN_OUT}/Q4_K_M.gguf ${GEN_OUT}/Q4_K_M-seed2.gguf)
  set_tests_properties(gen_seed_changes_weights PROPERTIES WILL_FAIL TRUE
                       FIXTURES_REQUIRED "gen_Q4_K_M;gen_Q4_K_M_seed2")
  set_tests_properties(gen_deterministic PROPERTIES FIXTURES_REQUIRED "gen_Q4_K_M;gen_Q4_K_M_again")

  # Mixtral shape, 8 experts top-2: llama-quantize's 8-expert bumps (attn_k/attn_v Q8_0,
  # attn_output Q5_K), F32 router, merged 3-D expert tensors
  mw_gen_test(moe moe-Q4_K_M.gguf ${GEN_SMALL} --experts 8 --experts-used 2 --rope-theta 1e6 --type Q4_K_M --threads 1)
  mw_gen_test(moe_threads3 moe-Q4_K_M-threads3.gguf ${GEN_SMALL} --experts 8 --experts-used 2 --rope-theta 1e6
              --type Q4_K_M --threads 3)
  add_test(NAME gen_moe_deterministic_threads
           COMMAND ${CMAKE_COMMAND} -E compare_files ${GEN_OUT}/moe-Q4_K_M.gguf ${GEN_OUT}/moe-Q4_K_M-threads3.gguf)
  set_tests_properties(gen_moe_deterministic_threads PROPERTIES FIXTURES_REQUIRED "gen_moe;gen_moe_threads3")
  mw_gen_cli_test(gen_moe_info moe
                  STDOUT_MATCHES "n_expert: +8 .2 used per token.*F32 +7 tensors.*Q8_0 +4 tensors.*Q4_K +8 tensors.*Q5_K +2 tensors.*Q6_K +2 tensors"
                  ARGS info -m ${GEN_OUT}/moe-Q4_K_M.gguf)
  mw_gen_cli_test(gen_moe_generate moe STDOUT_MATCHES "^[0-9]+ [0-9]+ [0-9]+ [0-9]+\n$"
                  ARGS generate -m ${GEN_OUT}/moe-Q4_K_M.gguf -p "Once upon a time" -n 4 --temp 0 --print-ids)

  # synthetic vocabulary: 600 tokens (3 control, 256 bytes, "▁" = 259, then each word over
  # "etaoin..." bare and "▁"-prefixed, by length; lower id = higher score). By hand:
  # "▁tea" = ▁t (263) + ea (316), no 3-letter pieces; "▁in" = 531; "▁a" = 265.
  mw_gen_test(synth_vocab synth-Q8_0.gguf --dim 128 --n-ff 256 --layers 1 --heads 2 --kv-heads 1
              --vocab 600 --type Q8_0 --quiet)
  mw_gen_cli_test(gen_synth_vocab_tokenize synth_vocab STDOUT_EQUALS "1 263 316 531 265\n"
                  ARGS tokenize -m ${GEN_OUT}/synth-Q8_0.gguf "tea in a")
  mw_gen_cli_test(gen_synth_vocab_info synth_vocab STDOUT_MATCHES "n_vocab: +600 .bos 1, eos 2, unk 0"
                  ARGS info -m ${GEN_OUT}/synth-Q8_0.gguf)

  # refusals: exit status 1 and a reason
  add_test(NAME gen_err_type COMMAND mw_gen_model ${GEN_SMALL} --type Q4_K_S --out ${GEN_OUT}/never.gguf)
  add_test(NAME gen_err_rows COMMAND mw_gen_model --dim 96 --n-ff 192 --layers 1 --heads 4
           --kv-heads 2 --vocab 300 --type Q2_K --out ${GEN_OUT}/never.gguf)
  add_test(NAME gen_err_heads COMMAND mw_gen_model --dim 256 --n-ff 512 --layers 1 --heads 3
           --vocab 300 --type Q8_0 --out ${GEN_OUT}/never.gguf)
  set_tests_properties(gen_err_type PROPERTIES PASS_REGULAR_EXPRESSION "unknown --type 'Q4_K_S'")
  set_tests_properties(gen_err_rows PROPERTIES PASS_REGULAR_EXPRESSION "rows of 96 values cannot be stored as Q2_K")
  set_tests_properties(gen_err_heads PROPERTIES PASS_REGULAR_EXPRESSION "--heads must divide --dim")
  # the full Mistral-7B shape (32 layers; generating it takes minutes, so only its name is checked:
  # an unknown preset would be refused before the type)
  add_test(NAME gen_preset_mistral7b COMMAND mw_gen_model --preset mistral7b --type Q4_K_S --out ${GEN_OUT}/never.gguf)
  set_tests_properties(gen_preset_mistral7b PROPERTIES PASS_REGULAR_EXPRESSION "unknown --type 'Q4_K_S'"
                       FAIL_REGULAR_EXPRESSION "unknown preset")
  # Mixtral-8x7B's shape (~26 GB at Q4_K_M): the same check
  add_test(NAME gen_preset_mixtral8x7b COMMAND mw_gen_model --preset mixtral8x7b --type Q4_K_S --out ${GEN_OUT}/never.gguf)
  set_tests_properties(gen_preset_mixtral8x7b PROPERTIES PASS_REGULAR_EXPRESSION "unknown --type 'Q4_K_S'"
                       FAIL_REGULAR_EXPRESSION "unknown preset")
  add_test(NAME gen_err_threads COMMAND mw_gen_model ${GEN_SMALL} --type Q8_0 --threads 0 --out ${GEN_OUT}/never.gguf)
  set_tests_properties(gen_err_threads PROPERTIES PASS_REGULAR_EXPRESSION "--threads: expected an integer in 1..256")
endif()

# constrained decoding (--json-schema / --json): the document is closed within -n tokens;
# full validation of many seeds and schemas is tests/test_constraint.c
set(MW_CLI_SCHEMAS "${CMAKE_SOURCE_DIR}/tests/data/constraint")
mw_cli_test(generate_json_schema
            STDOUT_MATCHES "^[ \n]?{[ \n]?\"name\":[ \n]?\"[^\"]*\"[ \n]?,[ \n]?\"age\":[ \n]?-?[0-9]+[ \n]?,[ \n]?\"pets\":[ \n]?\\[.*\\][ \n]?}$"
            ARGS generate -m ${MW_CLI_MODEL} -p "Once upon a time" --seed 3 -n 60
                 --json-schema ${MW_CLI_SCHEMAS}/person.schema.json)
mw_cli_test(generate_json_object STDOUT_MATCHES "^[ \n]?{.*}$"
            ARGS generate -m ${MW_CLI_MODEL} -p "Lily" --temp 0 -n 40 --json)
mw_cli_test(err_json_schema_unsupported RC 1 STDERR_MATCHES "keyword \"pattern\" is not supported"
            ARGS generate -m ${MW_CLI_MODEL} -p "Once" --json-schema ${MW_CLI_SCHEMAS}/pattern.schema.json)
