# planner_bench (issue 5): Stockholm- and national-size takeover plans and N-1 contingency,
# with Google Benchmark. Run by bench/run.sh (`make bench`).
add_executable(planner_bench ${CMAKE_CURRENT_SOURCE_DIR}/planner_bench.cpp)
target_link_libraries(planner_bench PRIVATE samband_broker_planning benchmark::benchmark samband_warnings)
set_target_properties(planner_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
