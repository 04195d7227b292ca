cmake_minimum_required(VERSION 3.25)
# Runs the stage check on the tree LIB (used by check_stages_test.cmake).
include(${SRC}/cmake/stages.cmake)
include(${SRC}/cmake/check_stages.cmake)
edgent_check_stages(${LIB} ${EDGENT_STAGES})
