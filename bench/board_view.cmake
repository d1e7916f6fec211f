# board_view_bench (issue 16, part 3): GET /api/units for a 10,000-unit picture rendered afresh
# and from the per-version cache, and the memory of many renders at once. Run by hand
# (docs/performance.md gives the command).
add_executable(board_view_bench ${CMAKE_CURRENT_SOURCE_DIR}/board_view_bench.cpp)
target_include_directories(board_view_bench PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(board_view_bench PRIVATE samband_broker_board samband_warnings)
set_target_properties(board_view_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
