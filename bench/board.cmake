# board_bench (issue 16): the board under many live-stream viewers while signed-envelope senders
# (bench_fleet.h, shared with ingest_bench) report at a paced rate. Run by bench/run.sh
# (`make bench`).
add_executable(board_bench ${CMAKE_CURRENT_SOURCE_DIR}/board_bench.cpp)
target_link_libraries(board_bench
  PRIVATE samband_bench_fleet SQLiteCpp SQLite::SQLite3 PkgConfig::HTTPLIB
          nlohmann_json::nlohmann_json samband_warnings)
set_target_properties(board_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
add_dependencies(board_bench samband-broker)
