cmake_minimum_required(VERSION 3.25)
# Shows that the stage check rejects a back-edge: copies lib/ to a scratch folder, makes the
# lowest model file include the runtime stage, and expects edgent_check_stages to fail there.
#   cmake -DSRC=<source dir> -DSCRATCH=<dir> -P check_stages_test.cmake
include(${SRC}/cmake/stages.cmake)
include(${SRC}/cmake/check_stages.cmake)
edgent_check_stages(${SRC}/lib ${EDGENT_STAGES})  # the real tree passes
file(REMOVE_RECURSE ${SCRATCH})
file(COPY ${SRC}/lib/model ${SRC}/lib/core DESTINATION ${SCRATCH})
file(APPEND ${SCRATCH}/model/partition.hpp "#include \"runtime/edge_handler.hpp\"\n")
execute_process(
  COMMAND ${CMAKE_COMMAND} -DSRC=${SRC} -DLIB=${SCRATCH} -P ${SRC}/cmake/check_stages_run.cmake
  RESULT_VARIABLE rc ERROR_VARIABLE err)
file(REMOVE_RECURSE ${SCRATCH})
if(rc EQUAL 0 OR NOT err MATCHES "model/partition.hpp: #include \"runtime/edge_handler.hpp\"")
  message(FATAL_ERROR "the stage check let a back-edge through (rc ${rc}):\n${err}")
endif()
message(STATUS "stage check: the real tree passes, a back-edge is refused")
