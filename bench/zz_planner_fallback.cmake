# planner_bench (bench/planner_bench.cpp, issue 5) for `make bench`, unless the planner's own
# bench/*.cmake already defined the target (files are included in name order, so this one comes
# last on purpose).
if(NOT TARGET planner_bench)
  add_executable(planner_bench ${CMAKE_CURRENT_SOURCE_DIR}/planner_bench.cpp)
  target_link_libraries(planner_bench
    PRIVATE samband_broker_core benchmark::benchmark samband_warnings)
  set_target_properties(planner_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
endif()
