# The fuzz targets, one per decoder of untrusted input, and what each links. Used twice: by
# fuzz/CMakeLists.txt (libFuzzer, clang, ASan+UBSan: tools/fuzz.sh) and by tests/fuzz (the normal
# build: each target's corpus in fuzz/corpus/<target>/ replayed by fuzz/corpus_main.cpp).
set(SAMBAND_FUZZ_TARGETS frame batch offline_file enroll_request roster_csv capacity_csv board_body
  report_json)

# Adds executable `exe` for fuzz target `name`; the caller adds libFuzzer or corpus_main.cpp.
function(samband_fuzz_executable exe name)
  set(dir ${PROJECT_SOURCE_DIR}/fuzz)
  add_executable(${exe} ${dir}/${name}_fuzz.cpp ${ARGN})
  target_include_directories(${exe} PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(${exe} PRIVATE samband_common samband_warnings)
  if(name STREQUAL "roster_csv" OR name STREQUAL "capacity_csv")
    target_link_libraries(${exe} PRIVATE samband_broker_planning)
  elseif(name STREQUAL "board_body")
    # Only the parsing function's file, not the board (no HTTP server, no sessions).
    target_sources(${exe} PRIVATE ${PROJECT_SOURCE_DIR}/broker/board/board_directives.cpp)
    target_link_libraries(${exe} PRIVATE samband_broker_city nlohmann_json::nlohmann_json)
  elseif(name STREQUAL "report_json")
    target_link_libraries(${exe} PRIVATE samband_agent_core)
  endif()
endfunction()
