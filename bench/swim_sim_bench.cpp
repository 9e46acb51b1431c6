// swim-sim-bench: protocol figures of swim::node measured on the simulator
// (virtual time, in-memory network), in the same terms as the memberlist 0.2.2
// baseline in docs/simulator.md ("Baseline"). Not a test: it prints.
//
//   swim-sim-bench                      quick: N = 10, 100; lan and 250ms
//   swim-sim-bench --full               N = 10, 100, 1000, 2000
//   swim-sim-bench --n 5,50,200 --profiles lan --trials 5
//   swim-sim-bench --speed 1000         wall time of 1000 members x 60 virtual s
//   swim-sim-bench --sizes 1000,2000    the scale table: lan, 1 trial, 10 % loss only,
//                                       steady state measured once the gossip queues drained
//   swim-sim-bench --sizes 1000,2000,5000,10000 --large   N above 2000 needs --large
//   swim-sim-bench --sizes 10000 --large --waves 4  the bootstrap in 4 waves of 2,500: the
//                                       gossip queues of a wave drain before the next
//   SIM_SEED=7 swim-sim-bench ...       another seed

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "swim/sim/cluster.hpp"

namespace {

using namespace std::chrono_literals;
using swim::duration;
using swim::member_event;
using swim::member_state;
using swim::time_point;
using swim::sim::cluster;
using swim::sim::cluster_options;

struct args {
  std::vector<std::size_t> ns{10, 100};
  std::vector<std::string> profiles{"lan", "250ms"};
  int trials = 3;
  double idle_s = 60;
  double loss_s = 60;
  std::size_t speed_n = 0;
  double speed_s = 60;
  double speed_settle_s = 0;
  std::uint64_t seed = 1;
  bool scale = false;  ///< --sizes: skip join1 and the 20 % window; drain queues before idling
  bool large = false;  ///< allow N above 2000 (hours of wall time, many GiB)
  std::size_t waves = 1;  ///< --sizes: the bootstrap joins N/waves members at a time
  std::optional<std::size_t> push_pull_budget;  ///< swim::timing::push_pull_budget, else the default
};

[[noreturn]] void usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: swim-sim-bench [--full] [--n 10,100,...] [--profiles lan,250ms]\n"
               "                      [--trials K] [--idle-seconds S] [--loss-seconds S]\n"
               "                      [--speed N [--speed-seconds S] [--speed-settle S]]\n"
               "                      [--sizes 1000,2000[,5000,10000 --large] [--waves K]]\n"
               "                      [--push-pull-budget BYTES_PER_S (0: memberlist's schedule)]\n"
               "SIM_SEED overrides the seed (default 1).\n");
  std::exit(code);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

args parse(int argc, char** argv) {
  args a;
  a.seed = swim::sim::seed_from_env(1);
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage(2);
      return argv[++i];
    };
    if (k == "--full") {
      a.ns = {10, 100, 1000, 2000};
      a.idle_s = 60;
      a.loss_s = 120;
    } else if (k == "--n") {
      a.ns.clear();
      for (const auto& s : split(val())) a.ns.push_back(std::stoul(s));
    } else if (k == "--sizes") {
      a.ns.clear();
      for (const auto& s : split(val())) a.ns.push_back(std::stoul(s));
      a.scale = true;
      a.profiles = {"lan"};
      a.trials = 1;
    } else if (k == "--large") {
      a.large = true;
    } else if (k == "--waves") {
      a.waves = std::max<std::size_t>(1, std::stoul(val()));
    } else if (k == "--push-pull-budget") {
      a.push_pull_budget = std::stoul(val());
    } else if (k == "--profiles") {
      a.profiles = split(val());
    } else if (k == "--trials") {
      a.trials = std::max(1, std::stoi(val()));
    } else if (k == "--idle-seconds") {
      a.idle_s = std::stod(val());
    } else if (k == "--loss-seconds") {
      a.loss_s = std::stod(val());
    } else if (k == "--speed") {
      a.speed_n = std::stoul(val());
    } else if (k == "--speed-settle") {
      a.speed_settle_s = std::stod(val());
    } else if (k == "--speed-seconds") {
      a.speed_s = std::stod(val());
    } else if (k == "-h" || k == "--help") {
      usage(0);
    } else {
      usage(2);
    }
  }
  for (std::size_t n : a.ns)
    if (n > 2000 && !a.large) {
      std::fprintf(stderr, "N=%zu: above 2000 members a row takes hours and many GiB; add --large\n", n);
      std::exit(2);
    }
  for (const auto& p : a.profiles)
    if (!swim::sim::sim_profile(p)) {
      std::fprintf(stderr, "unknown profile '%s' (lan, wan, local, 250ms, <N>ms)\n", p.c_str());
      std::exit(2);
    }
  return a;
}

double secs(duration d) { return static_cast<double>(d.count()) / 1e6; }
duration from_secs(double s) { return duration(static_cast<std::int64_t>(s * 1e6)); }

double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // Linux: KiB
}

double current_rss_mib() {
  std::ifstream f("/proc/self/statm");
  long pages_total = 0, pages_rss = 0;
  f >> pages_total >> pages_rss;
  return static_cast<double>(pages_rss) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

/// min / mean / max of a few samples; "-" when none, ">" prefix when some timed out.
struct sample {
  std::vector<double> v;
  int timeouts = 0;
  std::string str() const {
    if (v.empty()) return timeouts ? "timeout" : "-";
    const double lo = *std::min_element(v.begin(), v.end());
    const double hi = *std::max_element(v.begin(), v.end());
    double sum = 0;
    for (double x : v) sum += x;
    char buf[64];
    if (v.size() == 1 || hi - lo < 0.005)
      std::snprintf(buf, sizeof buf, "%.2f", sum / static_cast<double>(v.size()));
    else
      std::snprintf(buf, sizeof buf, "%.2f-%.2f", lo, hi);
    std::string s = buf;
    if (timeouts) s += "(+" + std::to_string(timeouts) + "t/o)";
    return s;
  }
  double mean() const {
    double sum = 0;
    for (double x : v) sum += x;
    return v.empty() ? 0 : sum / static_cast<double>(v.size());
  }
};

struct row {
  std::string profile;
  std::size_t n = 0;
  sample bootstrap, join1, crash_first, crash_all, leave_all;
  double pkts_per_s = 0, bytes_per_s = 0, udp_bytes_per_s = 0, stream_bytes_per_s = 0;
  std::string loss10, loss20;
  double wall_s = 0, peak_mib = 0, live_mib = 0;
  double drain_s = -1;        ///< virtual s after bootstrap until every gossip queue was empty
  double cpu_ms_per_s = 0;    ///< CPU ms per member per virtual second over the idle window
  double bootstrap_wall_s = 0;
};

/// Every running member counts `want` live members.
bool all_count(cluster& c, std::size_t want) {
  for (std::size_t i = 0; i < c.size(); ++i)
    if (c.is_running(i) && c.at(i).num_live() != want) return false;
  return true;
}

/// Observer-level false deaths (dead events about running members) and how many
/// distinct members were declared dead, during `d` at loss `p`.
std::string false_deaths(cluster& c, double p, duration d) {
  const time_point t0 = c.now();
  std::size_t events = 0;
  std::set<std::uint32_t> victims;
  c.on_event = [&](const swim::sim::event_record& r) {
    if (r.ev == member_event::dead && r.subject != cluster::unknown_subject && c.is_running(r.subject)) {
      ++events;
      victims.insert(r.subject);
    }
  };
  c.net().set_loss(p);
  c.run_for(d);
  c.net().set_loss(0.0);
  c.on_event = nullptr;
  (void)t0;
  // Let refutations settle before the next measurement.
  c.run_until([&] { return all_count(c, c.running_count()); }, 60s, 50ms);
  return std::to_string(events) + "/" + std::to_string(victims.size());
}

row run_row(const args& a, const std::string& profile, std::size_t n) {
  const auto wall0 = std::chrono::steady_clock::now();
  row r;
  r.profile = profile;
  r.n = n;
  cluster_options o;
  o.seed = swim::sim::mix_seed(a.seed ^ (n * 31 + profile.size()));
  o.t = *swim::sim::sim_profile(profile);
  if (a.push_pull_budget) o.t.push_pull_budget = *a.push_pull_budget;
  // Joins are O(N^2) events at bootstrap; the figures use node state instead.
  o.log_joins = false;
  cluster c(o);
  const swim::timing& t = o.t;
  const duration poll = std::max<duration>(1ms, t.gossip_interval / 20);
  // With --sizes, each phase is reported on stderr as it ends: a row at 5,000 members takes
  // hours, and a run cut short still says how far it got.
  auto progress = [&](const char* phase, const std::string& result) {
    if (!a.scale) return;
    std::fprintf(stderr, "[N=%zu] %s: %s (virtual %.1f s, wall %.0f s, RSS %.0f MiB)\n", n, phase,
                 result.c_str(), secs(c.elapsed()),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count(),
                 current_rss_mib());
  };

  auto drained = [&] {
    for (std::size_t i = 0; i < c.size(); ++i)
      if (c.is_running(i) && c.at(i).queued_broadcasts() != 0) return false;
    return true;
  };
  // Cold bootstrap: N members join one seed at once (docs/simulator.md, "Baseline", row 1).
  // With --waves K, N/K at a time, each wave once the one before has converged and its queues
  // are empty; the figure is the last wave's, N/K members joining a cluster of N - N/K.
  const std::size_t waves = a.scale ? std::min(a.waves, n) : 1;
  std::size_t started = 0;
  for (std::size_t w = 0; w < waves; ++w) {
    const std::size_t k = n * (w + 1) / waves - started;
    const std::size_t first = c.start(k);
    if (w == 0) {
      c.join_all(0);
    } else {
      for (std::size_t i = first; i < first + k; ++i) c.join(i, 0);
    }
    started += k;
    const time_point b0 = c.now();
    const bool ok = c.run_until([&] { return all_count(c, started); }, 300s, poll);
    if (w + 1 < waves) {
      char text[96];
      if (ok)
        std::snprintf(text, sizeof text, "wave %zu of %zu: %zu members in %.2f s", w + 1, waves,
                      started, secs(c.now() - b0));
      else
        std::snprintf(text, sizeof text, "wave %zu of %zu: %zu members, timeout", w + 1, waves, started);
      progress("bootstrap", text);
      if (!ok || !c.run_until(drained, 1800s, 1s)) {
        ++r.bootstrap.timeouts;
        break;
      }
      continue;
    }
    if (ok)
      r.bootstrap.v.push_back(secs(c.now() - b0));
    else
      ++r.bootstrap.timeouts;
  }
  progress("bootstrap", r.bootstrap.str());
  c.run_for(5 * t.probe_interval);
  r.bootstrap_wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (a.scale) {
    // The bootstrap queues N alives on each of N members; steady state begins when they are sent.
    const time_point d0 = c.now();
    if (c.run_until(drained, 1800s, 1s)) r.drain_s = secs(c.now() - d0);
    // The heap in use once the bootstrap's queues are empty: the member tables, N x N entries.
    const double heap = static_cast<double>(mallinfo2().uordblks);
    char text[128];
    std::snprintf(text, sizeof text, "%s; heap in use %.0f MiB, %.0f B per (observer, subject) pair",
                  r.drain_s < 0 ? "not drained" : (std::to_string(static_cast<long>(r.drain_s)) + " s").c_str(),
                  heap / (1024.0 * 1024.0), heap / (static_cast<double>(n) * static_cast<double>(n)));
    progress("drain", text);
  }

  // Idle traffic per member: UDP payload + 28 B IPv4/UDP header, plus stream bytes.
  c.net().reset_stats();
  const std::clock_t cpu0 = std::clock();
  c.run_for(from_secs(a.idle_s));
  r.cpu_ms_per_s = 1000.0 * static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC /
                   static_cast<double>(c.running_count()) / a.idle_s;
  {
    const auto tot = c.net().total();
    const double members = static_cast<double>(c.running_count());
    r.pkts_per_s = static_cast<double>(tot.packets_sent + tot.streams_sent) / members / a.idle_s;
    r.bytes_per_s = static_cast<double>(tot.bytes_sent + 28 * tot.packets_sent + tot.stream_bytes_sent) /
                    members / a.idle_s;
    r.udp_bytes_per_s = static_cast<double>(tot.bytes_sent + 28 * tot.packets_sent) / members / a.idle_s;
    r.stream_bytes_per_s = static_cast<double>(tot.stream_bytes_sent) / members / a.idle_s;
  }
  {
    char text[96];
    std::snprintf(text, sizeof text, "%.2f pkt/s, %.1f B/s, %.3f CPU ms/s per member", r.pkts_per_s,
                  r.bytes_per_s, r.cpu_ms_per_s);
    progress("idle", text);
  }

  // Each trial keeps the cluster at N: a new member joins, an original member
  // crashes, the new member leaves, and the crashed one restarts and rejoins.
  for (int trial = 0; trial < a.trials; ++trial) {
    // One new member joins an idle cluster; time until every member sees it.
    const std::size_t j = c.start(1);
    if (a.scale) {
      c.join(j, 0);
      c.run_until([&] { return c.all_see(j, member_state::alive); }, 120s, poll);
    } else {
      c.join(j, 0);
      const time_point t0 = c.now();
      if (c.run_until([&] { return c.all_see(j, member_state::alive); }, 120s, poll))
        r.join1.v.push_back(secs(c.now() - t0));
      else
        ++r.join1.timeouts;
    }
    c.run_for(3 * t.probe_interval);
    // A silent crash: time to the first and to the last member's verdict.
    const std::size_t v = 1 + static_cast<std::size_t>(trial) % (n - 1);
    {
      const time_point t0 = c.now();
      c.crash(v);
      if (c.run_until([&] { return c.all_see_gone(v); }, 300s, poll)) {
        r.crash_all.v.push_back(secs(c.now() - t0));
        if (auto f = c.first_event(v, member_event::dead, t0)) r.crash_first.v.push_back(secs(*f - t0));
      } else {
        ++r.crash_all.timeouts;
      }
    }
    c.run_for(3 * t.probe_interval);
    // A graceful leave: time until every member sees it left.
    {
      const time_point t0 = c.now();
      c.leave(j);
      if (c.run_until([&] { return c.all_see_gone(j); }, 120s, poll))
        r.leave_all.v.push_back(secs(c.now() - t0));
      else
        ++r.leave_all.timeouts;
    }
    // Back to N: the crashed member restarts and rejoins (it refutes its death).
    c.restart(v);
    c.join(v, 0);
    c.run_until([&] { return all_count(c, n); }, 120s, poll);
    c.run_for(3 * t.probe_interval);
    progress("trial", "crash:all " + r.crash_all.str() + ", leave:all " + r.leave_all.str());
  }

  r.live_mib = current_rss_mib();
  r.loss10 = false_deaths(c, 0.10, from_secs(a.loss_s));
  progress("10 % loss", r.loss10);
  if (!a.scale) r.loss20 = false_deaths(c, 0.20, from_secs(a.loss_s));
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  r.peak_mib = peak_rss_mib();
  return r;
}

void print_header(const args& a) {
  std::printf("swim-sim-bench: seed %llu, %d trial(s) per cell, idle window %.0f s, loss windows %.0f s\n",
              static_cast<unsigned long long>(a.seed), a.trials, a.idle_s, a.loss_s);
  std::printf("times in virtual seconds (min-max over trials); traffic sent per member; false dead = "
              "observer-level dead events / distinct members\n\n");
  std::printf("%-7s %5s | %-10s %-10s %-11s %-11s %-10s | %6s %7s | %-9s %-9s | %7s %8s %9s\n", "profile",
              "N", "bootstrap", "join1", "crash:1st", "crash:all", "leave:all", "pkt/s", "B/s",
              "dead@10%", "dead@20%", "wall s", "peak MiB", "KiB/memb");
}

void print_row(const row& r) {
  std::printf("%-7s %5zu | %-10s %-10s %-11s %-11s %-10s | %6.2f %7.1f | %-9s %-9s | %7.1f %8.1f %9.1f\n",
              r.profile.c_str(), r.n, r.bootstrap.str().c_str(), r.join1.str().c_str(),
              r.crash_first.str().c_str(), r.crash_all.str().c_str(), r.leave_all.str().c_str(), r.pkts_per_s,
              r.bytes_per_s, r.loss10.c_str(), r.loss20.c_str(), r.wall_s, r.peak_mib,
              r.live_mib * 1024.0 / static_cast<double>(r.n));
  std::fflush(stdout);
}

/// The scale table (--sizes): the columns of docs/simulator.md "Scale".
void print_scale_header(const args& a) {
  std::printf("swim-sim-bench --sizes: lan, seed %llu, 1 trial, idle window %.0f s after the queues drained, "
              "loss window %.0f s, push-pull budget %zu B/s\n",
              static_cast<unsigned long long>(a.seed), a.idle_s, a.loss_s,
              a.push_pull_budget.value_or(swim::timing{}.push_pull_budget));
  std::printf("%6s | %-9s %-8s %-9s %-9s | %6s %7s %8s | %-8s | %7s %8s %8s %8s\n", "N", "bootstrap",
              "drain", "crash:all", "leave:all", "pkt/s", "B/s", "CPU ms/s", "dead@10%", "boot ws",
              "wall s", "peak MiB", "KiB/memb");
}

void print_scale_row(const row& r) {
  char drain[32];
  if (r.drain_s >= 0)
    std::snprintf(drain, sizeof drain, "%.0f", r.drain_s);
  else
    std::snprintf(drain, sizeof drain, ">1800");
  std::printf("%6zu | %-9s %-8s %-9s %-9s | %6.2f %7.1f %8.3f | %-8s | %7.0f %8.0f %8.0f %8.1f\n", r.n,
              r.bootstrap.str().c_str(), drain, r.crash_all.str().c_str(), r.leave_all.str().c_str(),
              r.pkts_per_s, r.bytes_per_s, r.cpu_ms_per_s, r.loss10.c_str(), r.bootstrap_wall_s, r.wall_s,
              r.peak_mib, r.live_mib * 1024.0 / static_cast<double>(r.n));
  std::fflush(stdout);
}

/// memberlist 0.2.2, lan defaults, measured on a 2-core Debian 12 machine (docs/simulator.md,
/// "Baseline").
struct anchor {
  std::size_t n;
  double crash_lo, crash_hi, leave_lo, leave_hi, bytes_per_s, bootstrap_lo, bootstrap_hi;
};
constexpr anchor anchors[] = {
    {5, 5.19, 5.99, 0.19, 0.39, 146, 0.20, 0.41},
    {50, 8.40, 10.39, 0.56, 0.80, 143, 0.84, 1.10},
    {200, 11.02, 14.39, 0.67, 0.75, 139, 5.33, 5.33},
};

void print_comparison(const std::vector<row>& rows) {
  bool any = false;
  for (const row& r : rows) {
    if (r.profile != "lan") continue;
    for (const anchor& an : anchors) {
      if (an.n != r.n) continue;
      if (!any) std::printf("\nagainst memberlist 0.2.2 lan (docs/simulator.md baseline; within 10 %% = in [0.9 lo, 1.1 hi]):\n");
      any = true;
      auto verdict = [](double x, double lo, double hi) {
        return (x >= 0.9 * lo && x <= 1.1 * hi) ? "ok" : (x < 0.9 * lo ? "faster" : "SLOWER");
      };
      std::printf("  N=%-4zu crash:all %.2f s vs %.2f-%.2f (%s); leave %.2f s vs %.2f-%.2f (%s); "
                  "bootstrap %.2f s vs %.2f-%.2f (%s); idle %.0f B/s (UDP %.0f + streams %.0f) vs %.0f\n",
                  r.n, r.crash_all.mean(), an.crash_lo, an.crash_hi,
                  verdict(r.crash_all.mean(), an.crash_lo, an.crash_hi), r.leave_all.mean(), an.leave_lo,
                  an.leave_hi, verdict(r.leave_all.mean(), an.leave_lo, an.leave_hi), r.bootstrap.mean(),
                  an.bootstrap_lo, an.bootstrap_hi,
                  verdict(r.bootstrap.mean(), an.bootstrap_lo, an.bootstrap_hi), r.bytes_per_s,
                  r.udp_bytes_per_s, r.stream_bytes_per_s, an.bytes_per_s);
    }
  }
  // The 250 ms profile should be about 4x faster than lan at the same N.
  for (const row& fast : rows) {
    if (fast.profile == "lan") continue;
    for (const row& lan : rows) {
      if (lan.profile != "lan" || lan.n != fast.n || fast.crash_all.v.empty() || lan.crash_all.v.empty())
        continue;
      std::printf("  N=%-4zu %s vs lan: crash:all %.1fx faster, leave %.1fx faster\n", fast.n,
                  fast.profile.c_str(), lan.crash_all.mean() / fast.crash_all.mean(),
                  fast.leave_all.mean() > 0 ? lan.leave_all.mean() / fast.leave_all.mean() : 0.0);
    }
  }
}

int speed(const args& a) {
  cluster_options o;
  o.seed = a.seed;
  o.log_joins = false;
  cluster c(o);
  const auto w0 = std::chrono::steady_clock::now();
  c.start(a.speed_n);
  c.join_all(0);
  const bool ok = c.run_until([&] { return all_count(c, a.speed_n); }, 300s, 10ms);
  const double boot_virtual = secs(c.elapsed());
  // Optionally let the bootstrap's broadcasts drain before timing the steady state.
  c.run_for(from_secs(a.speed_settle_s));
  const auto w1 = std::chrono::steady_clock::now();
  const std::clock_t cpu1 = std::clock();
  const std::uint64_t ev0 = c.loop().events_run();
  c.run_for(from_secs(a.speed_s));
  const auto w2 = std::chrono::steady_clock::now();
  const double run_cpu = static_cast<double>(std::clock() - cpu1) / CLOCKS_PER_SEC;
  const double boot_wall = std::chrono::duration<double>(w1 - w0).count();
  const double run_wall = std::chrono::duration<double>(w2 - w1).count();
  std::printf("speed: N=%zu lan, seed %llu: bootstrap %s in %.2f s virtual, %.1f s wall; after %.0f s settling, "
              "%.0f virtual s in %.1f s wall, %.1f s CPU (%.0f events/s); live RSS %.1f MiB (%.1f KiB/member), peak %.1f MiB\n",
              a.speed_n, static_cast<unsigned long long>(a.seed), ok ? "converged" : "DID NOT converge",
              boot_virtual, boot_wall, a.speed_settle_s, a.speed_s, run_wall, run_cpu,
              static_cast<double>(c.loop().events_run() - ev0) / run_wall, current_rss_mib(),
              current_rss_mib() * 1024.0 / static_cast<double>(a.speed_n), peak_rss_mib());
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const args a = parse(argc, argv);
  if (a.speed_n) return speed(a);
  if (a.scale) {
    print_scale_header(a);
    for (std::size_t n : a.ns) print_scale_row(run_row(a, "lan", n));
    return 0;
  }
  print_header(a);
  std::vector<row> rows;
  for (const auto& p : a.profiles)
    for (std::size_t n : a.ns) {
      rows.push_back(run_row(a, p, n));
      print_row(rows.back());
    }
  print_comparison(rows);
  return 0;
}
