# Ingest benchmarks (issue 2, "Performance"): ingest_bench drives a real `samband-broker serve`
# with simulated agents; mqtt_bench drives Debian's mosquitto the same way. Both are run by
# bench/run.sh (`make bench`), never by `make test`.
add_library(samband_bench_support STATIC ${CMAKE_CURRENT_SOURCE_DIR}/bench_process.cpp)
target_include_directories(samband_bench_support PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(samband_bench_support PRIVATE samband_warnings)

# The signed-envelope senders (simulated agents with real keys over real CURVE connections) and
# the broker under test, shared by ingest_bench and board_bench.
add_library(samband_bench_fleet STATIC ${CMAKE_CURRENT_SOURCE_DIR}/bench_fleet.cpp)
target_link_libraries(samband_bench_fleet
  PUBLIC samband_bench_support samband_broker_ingest samband_sim_model samband_common
  PRIVATE samband_warnings)

add_executable(ingest_bench ${CMAKE_CURRENT_SOURCE_DIR}/ingest_bench.cpp)
target_link_libraries(ingest_bench PRIVATE samband_bench_fleet samband_zmq_arena samband_warnings)
# samband_zmq_arena: the simulated agents' CURVE memory comes from the broker's arena too, so
# their half of every handshake costs the shared cores less (real agents run elsewhere).
set_target_properties(ingest_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
# The broker binary ingest_bench starts must exist when the benchmark runs.
add_dependencies(ingest_bench samband-broker)

find_library(SAMBAND_MOSQUITTO_LIBRARY mosquitto)
find_path(SAMBAND_MOSQUITTO_INCLUDE mosquitto.h)
if(SAMBAND_MOSQUITTO_LIBRARY AND SAMBAND_MOSQUITTO_INCLUDE)
  add_executable(mqtt_bench ${CMAKE_CURRENT_SOURCE_DIR}/mqtt_bench.cpp)
  target_include_directories(mqtt_bench PRIVATE ${SAMBAND_MOSQUITTO_INCLUDE})
  target_link_libraries(mqtt_bench
    PRIVATE samband_bench_support ${SAMBAND_MOSQUITTO_LIBRARY} nlohmann_json::nlohmann_json
            samband_warnings)
  set_target_properties(mqtt_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
else()
  message(STATUS "libmosquitto-dev not found: mqtt_bench is not built (make deps installs it)")
endif()
