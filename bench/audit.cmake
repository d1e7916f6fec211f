# audit_bench (issue 16): re-verifying an archive against the all-core raw verify rate. Run by
# bench/run.sh (`make bench`).
add_executable(audit_bench ${CMAKE_CURRENT_SOURCE_DIR}/audit_bench.cpp)
target_include_directories(audit_bench PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(audit_bench PRIVATE samband_broker_audit samband_warnings)
set_target_properties(audit_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
