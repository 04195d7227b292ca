# ONNX (the onnx and onnx_proto imported targets), from its CMake package (libonnx-dev). A
# multiarch :arm64 cross-build cannot install libonnx-dev:arm64 (its libonnxifi:arm64 ships
# /usr/lib/libonnxifi.so, which clashes with the native package's), so without the package the
# aarch64 libraries of libonnx1:arm64 are used with the architecture-independent headers of the
# native libonnx-dev, and the definitions its package file sets.
find_package(ONNX QUIET CONFIG)
if(NOT ONNX_FOUND)
  find_path(EDGENT_ONNX_INCLUDE_DIR onnx/onnx_pb.h)
  find_library(EDGENT_ONNX_LIBRARY NAMES onnx libonnx.so.1)
  find_library(EDGENT_ONNX_PROTO_LIBRARY NAMES onnx_proto libonnx_proto.so.1)
  if(NOT EDGENT_ONNX_INCLUDE_DIR OR NOT EDGENT_ONNX_LIBRARY OR NOT EDGENT_ONNX_PROTO_LIBRARY)
    message(FATAL_ERROR "ONNX not found (Debian: libonnx-dev; for a cross-build libonnx1:arm64 "
                        "beside the native libonnx-dev)")
  endif()
  add_library(onnx_proto SHARED IMPORTED)
  set_target_properties(onnx_proto PROPERTIES
    IMPORTED_LOCATION "${EDGENT_ONNX_PROTO_LIBRARY}"
    INTERFACE_COMPILE_DEFINITIONS "ONNX_NAMESPACE=onnx;ONNX_ML=1"
    INTERFACE_INCLUDE_DIRECTORIES "${EDGENT_ONNX_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES protobuf::libprotobuf)
  add_library(onnx SHARED IMPORTED)
  set_target_properties(onnx PROPERTIES
    IMPORTED_LOCATION "${EDGENT_ONNX_LIBRARY}"
    INTERFACE_COMPILE_DEFINITIONS "ONNX_NAMESPACE=onnx;ONNX_ML=1"
    INTERFACE_INCLUDE_DIRECTORIES "${EDGENT_ONNX_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES onnx_proto)
  message(STATUS "edgent: ONNX libraries ${EDGENT_ONNX_LIBRARY}")
endif()
