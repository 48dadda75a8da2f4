# Platform/WASI.cmake — CMake 3.25 knows no WASI platform; this minimal one makes executables
# end in .wasm and static libraries lib*.a. Found through CMAKE_MODULE_PATH (wasi/toolchain.cmake).
set(WASI 1)
set(CMAKE_EXECUTABLE_SUFFIX ".wasm")
set(CMAKE_STATIC_LIBRARY_PREFIX "lib")
set(CMAKE_STATIC_LIBRARY_SUFFIX ".a")
set(CMAKE_FIND_LIBRARY_PREFIXES "lib")
set(CMAKE_FIND_LIBRARY_SUFFIXES ".a")
