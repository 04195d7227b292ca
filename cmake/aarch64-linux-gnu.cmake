# Cross-compiling for 64-bit ARM (Raspberry Pi OS / Debian arm64) with Debian's cross toolchain
# (g++-aarch64-linux-gnu) and multiarch :arm64 development packages in /usr/lib/aarch64-linux-gnu
# (`make device-arm64` installs both). Built programs and tests run on this machine under
# qemu-user: CMake and CTest prefix them with CMAKE_CROSSCOMPILING_EMULATOR.
#
#   cmake -S . -B build-arm64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DEDGENT_DEVICE_ONLY=ON
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Multiarch: the :arm64 packages install beside the native ones under /usr, their libraries and
# CMake package files in lib/aarch64-linux-gnu, which CMake searches for the architecture above
# (and never lib/x86_64-linux-gnu). Programs (protoc, python3) are the build machine's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)

# qemu-user runs the aarch64 programs; -L points it at the cross C library's dynamic loader.
find_program(EDGENT_QEMU_AARCH64 qemu-aarch64)
if(EDGENT_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${EDGENT_QEMU_AARCH64} -L /usr/aarch64-linux-gnu)
endif()
