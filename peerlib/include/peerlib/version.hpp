#pragma once
// peerlib's version. This header is where it is set: peerlib/CMakeLists.txt reads the three
// numbers below for the CMake package, peerlib.pc and the shared library's file name.
//
// The shared library's SONAME (libpeerlib.so.N) changes only when the ABI does; the version
// follows the cachecluster release it ships with.

#define PEERLIB_VERSION_MAJOR 0
#define PEERLIB_VERSION_MINOR 1
#define PEERLIB_VERSION_PATCH 0
/// "MAJOR.MINOR.PATCH" of the headers the program was compiled with.
#define PEERLIB_VERSION "0.1.0"

namespace peerlib {

/// The version of the library linked at run time. It differs from PEERLIB_VERSION when a
/// program built against one release runs with another release's shared library.
const char* library_version() noexcept;

/// The newest socket-protocol revision this library understands (protocol::revision).
int protocol_revision() noexcept;

}  // namespace peerlib
