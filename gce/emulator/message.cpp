#include "gce/emulator/message.hpp"

#include "util/strings.hpp"

namespace gce::emulator {
namespace {

std::optional<std::string> find_header(
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view name) {
  for (const auto& [n, v] : headers)
    if (util::iequals(n, name)) return v;
  return std::nullopt;
}

}  // namespace

std::optional<std::string> request::header(std::string_view name) const {
  return find_header(headers, name);
}

std::optional<std::string> response::header(std::string_view name) const {
  return find_header(headers, name);
}

response json_response(int status, const nlohmann::json& j) {
  response r;
  r.status = status;
  r.body = j.dump();
  r.headers = {{"Content-Type", "application/json; charset=UTF-8"}};
  return r;
}

response text_response(int status, std::string body, std::string_view type) {
  response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = {{"Content-Type", std::string(type)}};
  return r;
}

response bad_request(std::string_view what) {
  return json_response(400, {{"error", "bad request: " + std::string(what)}});
}

}  // namespace gce::emulator
