#include "agent/render_cmd.hpp"

#include <chrono>

#include "agent/atomic_file.hpp"
#include "agent/render_view.hpp"
#include "peerlib/client.hpp"
#include "util/strings.hpp"

namespace agent::cli {

int render(const std::string& socket, render_args args, std::ostream& out, std::ostream& err) {
  const char* me = "cachecluster render: ";
  render_escape escape = render_escape::none;
  if (args.escape == "json") {
    escape = render_escape::json;
  } else if (args.escape == "html") {
    escape = render_escape::html;
  } else if (args.escape != "none") {
    err << me << "--escape must be none, json or html\n";
    return 2;
  }
  for (const auto& t : args.tags) {
    auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0) {
      err << me << "--tag " << t << ": must be KEY=VALUE\n";
      return 2;
    }
    args.filter.tags.emplace_back(t.substr(0, eq), t.substr(eq + 1));
  }
  std::string error;
  auto text = read_file(args.template_path, &error);
  if (!text) {
    err << me << args.template_path << ": " << (error.empty() ? "no such file" : error) << "\n";
    return 1;
  }
  std::optional<peerlib::snapshot> snap;
  if (args.snapshot) {
    auto line = read_file(*args.snapshot, &error);
    if (!line) {
      err << me << *args.snapshot << ": " << (error.empty() ? "no such file" : error) << "\n";
      return 1;
    }
    snap = peerlib::protocol::decode_snapshot(util::trim(*line), &error);
    if (!snap) {
      err << me << *args.snapshot << ": not a snapshot: " << error << "\n";
      return 1;
    }
  } else {
    snap = peerlib::fetch_snapshot(socket, std::chrono::seconds(10), &error);
    if (!snap) {
      err << me << error << " (is the agent running? or pass --snapshot FILE)\n";
      return 1;
    }
  }
  auto r = render_template(*text, *snap, args.filter, escape);
  if (!r.ok) {
    err << me << args.template_path << ": not a valid Mustache template: " << r.error << "\n";
    return 1;
  }
  out << r.text;
  return 0;
}

}  // namespace agent::cli
