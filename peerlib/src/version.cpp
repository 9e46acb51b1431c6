#include "peerlib/version.hpp"

#include "peerlib/protocol.hpp"

namespace peerlib {

const char* library_version() noexcept { return PEERLIB_VERSION; }

int protocol_revision() noexcept { return protocol::revision; }

}  // namespace peerlib
