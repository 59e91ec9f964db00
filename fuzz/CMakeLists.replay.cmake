# Replay of the fuzz corpora in the normal test run (STYLE.md rule 11), included from
# tests/CMakeLists.txt. For each fuzz target, fuzz_replay_<name> links the target's
# LLVMFuzzerTestOneInput with replay_main.c (no libFuzzer needed, so gcc builds it) and the ctest
# test fuzz_replay_<name> feeds it every file of fuzz/corpus/<name>. Under VG_SANITIZE the
# replay runs with ASan and UBSan like the other tests.
foreach(name csv gtd jsonl events points report sites http targets)
  add_executable(fuzz_replay_${name} ${PROJECT_SOURCE_DIR}/fuzz/fuzz_${name}.c
                                     ${PROJECT_SOURCE_DIR}/fuzz/replay_main.c)
  target_link_libraries(fuzz_replay_${name} PRIVATE vigil)
  add_test(NAME fuzz_replay_${name}
           COMMAND fuzz_replay_${name} ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name})
endforeach()
# The targets of the assess module read the real scale tables of data/risk (VG_RISK_DIR).
foreach(name scales assess)
  add_executable(fuzz_replay_${name} ${PROJECT_SOURCE_DIR}/fuzz/fuzz_${name}.c
                                     ${PROJECT_SOURCE_DIR}/fuzz/replay_main.c)
  target_compile_definitions(fuzz_replay_${name} PRIVATE
                             VG_RISK_DIR="${PROJECT_SOURCE_DIR}/data/risk")
  target_link_libraries(fuzz_replay_${name} PRIVATE vigil)
  add_test(NAME fuzz_replay_${name}
           COMMAND fuzz_replay_${name} ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name})
endforeach()
