# asof_bench (issue 13): rebuilding the picture at a past moment, with and without the picture
# snapshots. Run by bench/run.sh (`make bench`).
add_executable(asof_bench ${CMAKE_CURRENT_SOURCE_DIR}/asof_bench.cpp)
target_include_directories(asof_bench PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(asof_bench PRIVATE samband_broker_picture samband_warnings)
set_target_properties(asof_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
