# OpenCV's core, imgproc and dnn modules (required) and imgcodecs (optional: reading image files,
# `--images`). Debian's OpenCV CMake package (libopencv-dev) names every module; a multiarch
# :arm64 cross-build cannot install it, because libopencv-imgcodecs406:arm64 conflicts with the
# native OpenCV packages, so without it the modules are found one by one (headers from
# libopencv-<module>-dev). Defines the imported targets opencv_<module> and EDGENT_HAVE_IMGCODECS.
find_package(OpenCV 4.6 QUIET CONFIG COMPONENTS core imgproc dnn OPTIONAL_COMPONENTS imgcodecs)
if(OpenCV_FOUND)
  message(STATUS "edgent: OpenCV ${OpenCV_VERSION} (CMake package)")
else()
  find_path(EDGENT_OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4)
  find_path(EDGENT_OPENCV_CONFIG_DIR opencv2/cvconfig.h PATH_SUFFIXES opencv4)
  if(NOT EDGENT_OPENCV_INCLUDE_DIR OR NOT EDGENT_OPENCV_CONFIG_DIR)
    message(FATAL_ERROR "OpenCV headers not found (Debian: libopencv-dnn-dev; for a cross-build the :arm64 one)")
  endif()
  foreach(module core imgproc dnn imgcodecs)
    find_library(EDGENT_OPENCV_${module}_LIBRARY opencv_${module})
    if(NOT EDGENT_OPENCV_${module}_LIBRARY)
      if(module STREQUAL "imgcodecs")
        continue()
      endif()
      message(FATAL_ERROR "OpenCV module ${module} not found (Debian: libopencv-${module}-dev)")
    endif()
    add_library(opencv_${module} SHARED IMPORTED)
    set_target_properties(opencv_${module} PROPERTIES
      IMPORTED_LOCATION "${EDGENT_OPENCV_${module}_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${EDGENT_OPENCV_INCLUDE_DIR};${EDGENT_OPENCV_CONFIG_DIR}")
  endforeach()
  message(STATUS "edgent: OpenCV modules found one by one in ${EDGENT_OPENCV_INCLUDE_DIR}")
endif()
if(TARGET opencv_imgcodecs)
  set(EDGENT_HAVE_IMGCODECS ON)
else()
  set(EDGENT_HAVE_IMGCODECS OFF)
  message(STATUS "edgent: OpenCV imgcodecs not found: reading image files (--images) is left out")
endif()
