#include "gce/emulator/router.hpp"

#include "gce/emulator/admin_api.hpp"
#include "gce/emulator/compute_api.hpp"
#include "gce/emulator/metadata_api.hpp"
#include "gce/emulator/url.hpp"

namespace gce::emulator {

response handle(state& st, const request& req, std::chrono::steady_clock::time_point now,
                std::chrono::system_clock::time_point wall) {
  const std::string_view path = split_target(req.target).path;
  if (path.starts_with("/admin/") || path == "/admin") return handle_admin(st, req, wall);
  if (path.starts_with("/computeMetadata/")) return handle_metadata(st, req, now);
  if (path.starts_with("/compute/v1/")) return handle_compute(st, req, now, wall);
  if (path == "/" && req.header("metadata-flavor") == "Google") {
    response r = text_response(200, "computeMetadata/\n", "application/text");
    r.headers.emplace_back("Metadata-Flavor", "Google");
    return r;
  }
  return text_response(404, "not found\n");
}

}  // namespace gce::emulator
