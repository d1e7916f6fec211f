# replication_bench (issue 15): two brokers as peers; replication lag at light load and the
# ingest throughput cost of ack = "peer". Run by bench/run.sh (`make bench`).
add_executable(replication_bench ${CMAKE_CURRENT_SOURCE_DIR}/replication_bench.cpp)
target_link_libraries(replication_bench
  PRIVATE samband_bench_support samband_broker_store samband_common cppzmq PkgConfig::ZMQ
          samband_warnings)
set_target_properties(replication_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
add_dependencies(replication_bench samband-broker)
