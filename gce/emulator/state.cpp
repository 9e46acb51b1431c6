#include "gce/emulator/state.hpp"

#include "gce/emulator/hash.hpp"

namespace gce::emulator {

using json = nlohmann::json;
using namespace std::chrono;

bool fault_counter::take(std::string_view api) {
  if (remaining == 0 || (target != "all" && target != api)) return false;
  if (remaining > 0) --remaining;
  return true;
}

bool fault_set::over_quota(system_clock::time_point wall) {
  if (quota_per_minute <= 0) return false;
  const auto minute = duration_cast<minutes>(wall.time_since_epoch()).count();
  if (minute != quota_minute) {
    quota_minute = minute;
    quota_used = 0;
  }
  return ++quota_used > quota_per_minute;
}

bool state::add_instance(const json& j, std::string& error) {
  if (!j.is_object()) {
    error = "an instance must be a JSON object";
    return false;
  }
  emu_instance in;
  auto str = [&](const char* k, std::string& into) {
    if (auto it = j.find(k); it != j.end()) {
      if (!it->is_string()) {
        error = std::string("instance field ") + k + " must be a string";
        return false;
      }
      into = it->get<std::string>();
    }
    return true;
  };
  std::string ip;
  if (!str("name", in.name) || !str("zone", in.zone) || !str("status", in.status) ||
      !str("hostname", in.hostname) || !str("networkIP", ip) ||
      !str("maintenance_event", in.maintenance_event) || !str("group", in.group) ||
      !str("current_action", in.current_action))
    return false;
  if (auto it = j.find("id"); it != j.end()) {
    if (it->is_string()) in.id = it->get<std::string>();
    else if (it->is_number_unsigned()) in.id = std::to_string(it->get<std::uint64_t>());
    else {
      error = "instance id must be a string or an unsigned integer";
      return false;
    }
  }
  if (in.name.empty() || in.zone.empty()) {
    error = "an instance needs a name and a zone";
    return false;
  }
  if (in.id.empty()) {
    // Above 2^63, so a client that reads ids as int64 or double gets caught.
    in.id = std::to_string(9'300'000'000'000'000'000ull + hash(in.name) % 1'000'000'000'000ull);
  }
  if (!ip.empty()) in.nics.push_back({"nic0", ip, ""});
  if (auto it = j.find("networkInterfaces"); it != j.end()) {
    if (!it->is_array()) {
      error = "networkInterfaces must be an array";
      return false;
    }
    in.nics.clear();
    for (const auto& n : *it) {
      if (!n.is_object()) {
        error = "a network interface must be an object";
        return false;
      }
      emu_nic nic;
      nic.name = n.value("name", "nic" + std::to_string(in.nics.size()));
      nic.ip = n.value("networkIP", "");
      nic.external_ip = n.value("natIP", "");
      in.nics.push_back(std::move(nic));
    }
  }
  if (auto it = j.find("tags"); it != j.end()) {
    const json& t = it->is_object() && it->contains("items") ? (*it)["items"] : *it;
    if (!t.is_array()) {
      error = "tags must be an array of strings";
      return false;
    }
    for (const auto& x : t)
      if (x.is_string()) in.tags.push_back(x.get<std::string>());
  }
  for (const char* k : {"metadata", "labels"}) {
    if (auto it = j.find(k); it != j.end()) {
      if (!it->is_object()) {
        error = std::string(k) + " must be an object of strings";
        return false;
      }
      auto& into = std::string_view(k) == "metadata" ? in.metadata : in.labels;
      for (const auto& [key, v] : it->items()) into[key] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
  if (auto it = j.find("preempted"); it != j.end() && it->is_boolean()) in.preempted = it->get<bool>();
  if (auto it = j.find("scopes"); it != j.end()) {
    if (!it->is_array()) {
      error = "scopes must be an array of strings";
      return false;
    }
    in.scopes.clear();
    for (const auto& x : *it)
      if (x.is_string()) in.scopes.push_back(x.get<std::string>());
  }
  zones_.insert(in.zone);
  instances_[in.name] = std::move(in);
  return true;
}

bool state::load(const json& doc, std::string& error) {
  const json* list = &doc;
  if (doc.is_object()) {
    project_ = doc.value("project", project_);
    project_number_ = doc.value("project_number", project_number_);
    if (auto it = doc.find("zones"); it != doc.end() && it->is_array())
      for (const auto& z : *it)
        if (z.is_string()) zones_.insert(z.get<std::string>());
    auto it = doc.find("instances");
    if (it == doc.end()) {
      error = "no \"instances\" array";
      return false;
    }
    list = &*it;
  }
  if (!list->is_array()) {
    error = "instances must be an array";
    return false;
  }
  for (const auto& j : *list)
    if (!add_instance(j, error)) return false;
  return true;
}

bool state::remove_instance(const std::string& name) { return instances_.erase(name) != 0; }

emu_instance* state::find(const std::string& name) {
  auto it = instances_.find(name);
  return it == instances_.end() ? nullptr : &it->second;
}

const emu_instance* state::identify(std::string_view source_ip) const {
  const emu_instance* vm = nullptr;
  for (const auto& [_, in] : instances_)
    for (const auto& n : in.nics)
      if (n.ip == source_ip) vm = &in;
  if (vm == nullptr && !default_instance.empty()) {
    auto it = instances_.find(default_instance);
    if (it != instances_.end()) vm = &it->second;
  }
  return vm;
}

std::set<std::string> state::all_zones() const {
  std::set<std::string> z = zones_;
  for (const auto& [_, in] : instances_) z.insert(in.zone);
  return z;
}

issued_token state::token_for(const std::string& vm, steady_clock::time_point now) {
  // Hand out the same token until it expires, as the real server caches it.
  const std::string prefix = "ya29.emu-" + vm + "-";
  issued_token out;
  for (const auto& [t, exp] : tokens_)
    if (exp - now > seconds(1) && t.starts_with(prefix)) {
      out.access_token = t;
      out.expires_in = duration_cast<seconds>(exp - now);
    }
  if (out.access_token.empty()) {
    out.access_token = prefix + std::to_string(next_token_++);
    tokens_[out.access_token] = now + token_ttl;
    out.expires_in = token_ttl;
  }
  return out;
}

bool state::token_valid(const std::string& token, steady_clock::time_point now) const {
  auto it = tokens_.find(token);
  return it != tokens_.end() && it->second > now;
}

std::uint64_t state::calls(const std::string& what) const {
  auto it = calls_.find(what);
  return it == calls_.end() ? 0 : it->second;
}

}  // namespace gce::emulator
