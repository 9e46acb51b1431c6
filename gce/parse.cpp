// JSON decoding with nlohmann::json in non-throwing mode: parse() with
// allow_exceptions = false, and every access checks the type first, so a body
// of the wrong shape degrades to "field absent" instead of throwing.

#include "gce/parse.hpp"

#include <nlohmann/json.hpp>

namespace gce {
namespace {

using json = nlohmann::json;

const json* field(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string text(const json& j, const char* key) {
  const json* f = field(j, key);
  return f != nullptr && f->is_string() ? f->get<std::string>() : std::string();
}

/// Ids are uint64: quoted by the Compute API, bare numbers in metadata recursive output.
std::string id_text(const json& j, const char* key) {
  const json* f = field(j, key);
  if (f == nullptr) return {};
  if (f->is_string()) return f->get<std::string>();
  if (f->is_number_unsigned()) return std::to_string(f->get<std::uint64_t>());
  if (f->is_number_integer()) return std::to_string(f->get<std::int64_t>());
  return {};  // a float id has already lost digits: better none than a wrong one
}

std::optional<json> parse_json(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

instance decode_instance(const json& j) {
  instance in;
  in.id = id_text(j, "id");
  in.name = text(j, "name");
  in.zone = std::string(last_segment(text(j, "zone")));
  in.status = text(j, "status");
  if (const json* nics = field(j, "networkInterfaces"); nics != nullptr && nics->is_array()) {
    for (const json& n : *nics) {
      network_interface nic;
      nic.name = text(n, "name");
      nic.network_ip = text(n, "networkIP");
      if (const json* acs = field(n, "accessConfigs"); acs != nullptr && acs->is_array()) {
        for (const json& ac : *acs) {
          nic.external_ip = text(ac, "natIP");
          if (!nic.external_ip.empty()) break;
        }
      }
      in.interfaces.push_back(std::move(nic));
    }
  }
  if (const json* tags = field(j, "tags"); tags != nullptr) {
    if (const json* items = field(*tags, "items"); items != nullptr && items->is_array()) {
      for (const json& t : *items)
        if (t.is_string()) in.tags.push_back(t.get<std::string>());
    }
  }
  if (const json* md = field(j, "metadata"); md != nullptr) {
    if (const json* items = field(*md, "items"); items != nullptr && items->is_array()) {
      for (const json& item : *items) {
        const std::string key = text(item, "key");
        if (!key.empty()) in.metadata[key] = text(item, "value");  // missing value = empty
      }
    }
  }
  if (const json* labels = field(j, "labels"); labels != nullptr && labels->is_object()) {
    for (const auto& [k, v] : labels->items())
      if (v.is_string()) in.labels[k] = v.get<std::string>();
  }
  return in;
}

api_warning decode_warning(const json& w, std::string scope) {
  api_warning out{text(w, "code"), text(w, "message"), std::move(scope)};
  return out;
}

/// Fields shared by both list shapes: nextPageToken, warning, unreachables.
bool decode_common(const json& j, instance_page& page, std::string& error) {
  if (!j.is_object()) {
    error = "response is not a JSON object";
    return false;
  }
  if (const json* t = field(j, "nextPageToken"); t != nullptr) {
    if (!t->is_string()) {
      error = "nextPageToken is not a string";
      return false;
    }
    page.next_page_token = t->get<std::string>();
  }
  if (const json* w = field(j, "warning"); w != nullptr && w->is_object())
    page.warnings.push_back(decode_warning(*w, ""));
  if (const json* u = field(j, "unreachables"); u != nullptr && u->is_array()) {
    for (const json& s : *u)
      if (s.is_string()) page.unreachables.push_back(s.get<std::string>());
  }
  return true;
}

}  // namespace

page_result parse_instance_list(std::string_view body) {
  page_result out;
  auto j = parse_json(body);
  if (!j) {
    out.error = "malformed JSON in instance list";
    return out;
  }
  instance_page page;
  if (!decode_common(*j, page, out.error)) return out;
  if (const json* items = field(*j, "items"); items != nullptr) {
    if (!items->is_array()) {
      out.error = "instance list items is not an array";
      return out;
    }
    for (const json& i : *items)
      if (i.is_object()) page.instances.push_back(decode_instance(i));
  }
  out.page = std::move(page);
  return out;
}

page_result parse_aggregated_list(std::string_view body) {
  page_result out;
  auto j = parse_json(body);
  if (!j) {
    out.error = "malformed JSON in aggregated instance list";
    return out;
  }
  instance_page page;
  if (!decode_common(*j, page, out.error)) return out;
  if (const json* items = field(*j, "items"); items != nullptr) {
    if (!items->is_object()) {
      out.error = "aggregated list items is not an object";
      return out;
    }
    for (const auto& [scope, scoped] : items->items()) {
      if (const json* w = field(scoped, "warning"); w != nullptr && w->is_object()) {
        api_warning warn = decode_warning(*w, scope);
        // NO_RESULTS_ON_PAGE is routine for every empty zone; keep only news.
        if (warn.code != "NO_RESULTS_ON_PAGE") page.warnings.push_back(std::move(warn));
      }
      if (const json* list = field(scoped, "instances"); list != nullptr && list->is_array()) {
        for (const json& i : *list)
          if (i.is_object()) page.instances.push_back(decode_instance(i));
      }
    }
  }
  out.page = std::move(page);
  return out;
}

managed_result parse_managed_instances(std::string_view body) {
  managed_result out;
  auto j = parse_json(body);
  if (!j || !j->is_object()) {
    out.error = "malformed JSON in managed instance list";
    return out;
  }
  managed_page page;
  page.next_page_token = text(*j, "nextPageToken");
  if (const json* items = field(*j, "managedInstances"); items != nullptr) {
    if (!items->is_array()) {
      out.error = "managedInstances is not an array";
      return out;
    }
    for (const json& i : *items) {
      if (!i.is_object()) continue;
      const std::string url = text(i, "instance");
      if (url.empty()) continue;
      managed_instance m;
      m.name = std::string(last_segment(url));
      // .../zones/ZONE/instances/NAME
      const auto at = url.find("/zones/");
      if (at != std::string::npos) {
        const auto from = at + 7;
        m.zone = url.substr(from, url.find('/', from) - from);
      }
      m.id = id_text(i, "id");
      m.status = text(i, "instanceStatus");
      m.current_action = text(i, "currentAction");
      page.instances.push_back(std::move(m));
    }
  }
  out.page = std::move(page);
  return out;
}

bool action_keeps_peer(std::string_view current_action) {
  return current_action == "NONE" || current_action == "REFRESHING" ||
         current_action == "VERIFYING" || current_action.empty();
}

api_error parse_api_error(int status, std::string_view body) {
  api_error e;
  e.code = status;
  std::string rpc_status;
  if (auto j = parse_json(body); j && j->is_object()) {
    if (const json* err = field(*j, "error"); err != nullptr && err->is_object()) {
      e.message = text(*err, "message");
      rpc_status = text(*err, "status");
      if (const json* errs = field(*err, "errors"); errs != nullptr && errs->is_array()) {
        for (const json& x : *errs) {
          e.reason = text(x, "reason");
          if (!e.reason.empty()) break;
        }
      }
    }
  }
  if (e.message.empty()) {
    // HTML or plain text error pages: keep a short excerpt for the log.
    e.message = std::string(body.substr(0, 200));
  }
  const bool rate_reason = e.reason == "rateLimitExceeded" || e.reason == "userRateLimitExceeded" ||
                           e.reason == "RATE_LIMIT_EXCEEDED" || rpc_status == "RESOURCE_EXHAUSTED";
  if (status == 429 || (status == 403 && rate_reason)) {
    e.kind = error_kind::rate_limited;
  } else if (status == 401) {
    e.kind = error_kind::unauthorized;
  } else if (status >= 500 || status == 408 || status == 0) {
    e.kind = error_kind::retryable;
  } else {
    e.kind = error_kind::fatal;
  }
  return e;
}

std::optional<token_body> parse_token(std::string_view body) {
  auto j = parse_json(body);
  if (!j || !j->is_object()) return std::nullopt;
  token_body t;
  t.access_token = text(*j, "access_token");
  if (t.access_token.empty()) return std::nullopt;
  t.token_type = text(*j, "token_type");
  if (t.token_type.empty()) t.token_type = "Bearer";
  if (const json* e = field(*j, "expires_in"); e != nullptr && e->is_number())
    t.expires_in = std::chrono::seconds(e->is_number_float()
                                            ? static_cast<std::int64_t>(e->get<double>())
                                            : e->get<std::int64_t>());
  return t;
}

std::optional<std::vector<std::string>> parse_tags(std::string_view body) {
  auto j = parse_json(body);
  if (!j || !j->is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const json& t : *j)
    if (t.is_string()) out.push_back(t.get<std::string>());
  return out;
}

std::optional<std::map<std::string, std::string>> parse_attributes(std::string_view body) {
  auto j = parse_json(body);
  if (!j || !j->is_object()) return std::nullopt;
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j->items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

std::string_view last_segment(std::string_view url) {
  while (!url.empty() && url.back() == '/') url.remove_suffix(1);
  const auto slash = url.rfind('/');
  return slash == std::string_view::npos ? url : url.substr(slash + 1);
}

std::string_view region_of(std::string_view zone) {
  const auto dash = zone.rfind('-');
  return dash == std::string_view::npos ? zone : zone.substr(0, dash);
}

}  // namespace gce
