// squall storm: determinism, format, ground truth and the scenario promises of docs/DESIGN.md.
#include "tools/storm/storm.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include "engine/core/alert.h"
#include "engine/core/interner.h"
#include "engine/parse/parser.h"

namespace squall::storm {
namespace {

namespace fs = std::filesystem;

struct Event {
  std::string id;
  std::int64_t ts = 0;
  bool change = false;
  bool resolved = false;
  std::map<std::string, std::string> labels;
  std::string label(const std::string& k) const {
    auto it = labels.find(k);
    return it == labels.end() ? std::string() : it->second;
  }
  // The service an alert is about, as a correlator could read it.
  std::string service() const {
    return labels.count("service") ? label("service") : label("container");
  }
};

struct TruthRow {
  std::string id, incident, root_service, kind;
  bool root = false;
};

struct Storm {
  StormSummary summary;
  std::vector<Event> events;  // file order
  std::vector<TruthRow> truth;
  std::string truth_header;
  std::string topology;
  int bad_lines = 0;
  std::vector<Event> alerts() const {
    std::vector<Event> v;
    for (const auto& e : events)
      if (!e.change) v.push_back(e);
    return v;
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path temp_dir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path p = fs::temp_directory_path() / (std::string("squall-storm-test-") + info->name() + "-" +
                                            name + "-" + std::to_string(::getpid()));
  fs::remove_all(p);
  return p;
}

Storm generate(StormOptions o, const std::string& name = "s") {
  o.out_dir = temp_dir(name).string();
  Storm s;
  auto r = generate_storm(o);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  if (!r) return s;
  s.summary = *r;
  core::Interner interner;
  parse::Parser parser(interner);
  core::AlertBatch batch;
  std::istringstream alerts(slurp(fs::path(o.out_dir) / "alerts.ndjson"));
  std::string line;
  while (std::getline(alerts, line)) {
    batch.clear();
    const auto parsed = parser.parse_native(line, batch, 0);
    if (!parsed) {
      if (s.bad_lines++ == 0) ADD_FAILURE() << parse::reject_reason(parsed.error()) << ": " << line;
      continue;
    }
    const core::Alert& a = batch.alerts[0];
    Event e;
    e.id = std::string(batch.str(a.id));
    e.ts = a.ts_ms;
    e.change = a.kind == core::Kind::kChange;
    e.resolved = a.status == core::Status::kResolved;
    const core::Label* l = batch.labels_of(a);
    for (std::uint32_t i = 0; i < a.labels_count; ++i)
      e.labels[std::string(interner.view(l[i].name))] = std::string(interner.view(l[i].value));
    s.events.push_back(std::move(e));
  }
  std::istringstream truth(slurp(fs::path(o.out_dir) / "truth.tsv"));
  std::getline(truth, s.truth_header);
  while (std::getline(truth, line)) {
    TruthRow t;
    std::istringstream f(line);
    std::string root;
    std::getline(f, t.id, '\t');
    std::getline(f, t.incident, '\t');
    std::getline(f, root, '\t');
    std::getline(f, t.root_service, '\t');
    std::getline(f, t.kind, '\t');
    t.root = root == "1";
    s.truth.push_back(std::move(t));
  }
  s.topology = slurp(fs::path(o.out_dir) / "topology.yaml");
  fs::remove_all(o.out_dir);
  return s;
}

StormOptions opts(Scenario sc, std::uint64_t seed) {
  StormOptions o;
  o.scenario = sc;
  o.seed = seed;
  return o;
}

// Alerts of each truth incident, in file order.
std::map<std::string, std::vector<std::pair<Event, TruthRow>>> by_incident(const Storm& s) {
  std::map<std::string, std::vector<std::pair<Event, TruthRow>>> m;
  const auto alerts = s.alerts();
  for (std::size_t i = 0; i < alerts.size() && i < s.truth.size(); ++i)
    m[s.truth[i].incident].emplace_back(alerts[i], s.truth[i]);
  return m;
}

TEST(StormTest, SameSeedGivesIdenticalBytes) {
  for (auto sc : {Scenario::k3am, Scenario::kConcurrent}) {
    StormOptions o = opts(sc, 7);
    o.out_dir = temp_dir("a").string();
    ASSERT_TRUE(generate_storm(o));
    StormOptions o2 = o;
    o2.out_dir = temp_dir("b").string();
    ASSERT_TRUE(generate_storm(o2));
    for (const char* f : {"alerts.ndjson", "truth.tsv", "topology.yaml", "storm.json"}) {
      const std::string a = slurp(fs::path(o.out_dir) / f);
      EXPECT_FALSE(a.empty()) << f;
      EXPECT_EQ(a, slurp(fs::path(o2.out_dir) / f)) << f;
    }
    fs::remove_all(o.out_dir);
    fs::remove_all(o2.out_dir);
  }
}

TEST(StormTest, DifferentSeedGivesDifferentStorm) {
  StormOptions a = opts(Scenario::k3am, 1), b = opts(Scenario::k3am, 2);
  a.out_dir = temp_dir("a").string();
  b.out_dir = temp_dir("b").string();
  ASSERT_TRUE(generate_storm(a));
  ASSERT_TRUE(generate_storm(b));
  EXPECT_NE(slurp(fs::path(a.out_dir) / "alerts.ndjson"),
            slurp(fs::path(b.out_dir) / "alerts.ndjson"));
  EXPECT_NE(slurp(fs::path(a.out_dir) / "topology.yaml"),
            slurp(fs::path(b.out_dir) / "topology.yaml"));
  fs::remove_all(a.out_dir);
  fs::remove_all(b.out_dir);
}

TEST(StormTest, EveryLineParsesSortedWithAlertnameAndUniqueIds) {
  StormOptions busy = opts(Scenario::kBusyHour, 3);
  busy.services = 30;
  busy.nodes = 8;
  StormOptions fire = opts(Scenario::kFirehose, 3);
  fire.alerts = 5000;
  fire.services = 40;
  fire.nodes = 10;
  for (const StormOptions& o :
       {opts(Scenario::k3am, 3), opts(Scenario::kConcurrent, 3), busy, fire}) {
    const Storm s = generate(o);
    SCOPED_TRACE(scenario_name(o.scenario));
    EXPECT_EQ(s.bad_lines, 0);
    ASSERT_FALSE(s.events.empty());
    std::set<std::string> ids;
    std::int64_t last = INT64_MIN;
    for (const auto& e : s.events) {
      EXPECT_FALSE(e.label("alertname").empty());
      EXPECT_TRUE(ids.insert(e.id).second) << e.id;
      EXPECT_GE(e.ts, last);
      last = e.ts;
      if (e.change) {
        EXPECT_FALSE(e.label("service").empty());
        EXPECT_FALSE(e.label("change_type").empty());
      }
    }
  }
}

TEST(StormTest, TruthHasOneRowPerAlertInFileOrder) {
  for (auto sc : {Scenario::k3am, Scenario::kConcurrent}) {
    const Storm s = generate(opts(sc, 11));
    EXPECT_EQ(s.truth_header, "alert_id\tincident\troot\troot_service\tkind");
    const auto alerts = s.alerts();
    ASSERT_EQ(alerts.size(), s.truth.size());
    EXPECT_EQ(alerts.size(), s.summary.alerts);
    std::set<std::string> ids;
    std::uint64_t noise = 0;
    for (std::size_t i = 0; i < alerts.size(); ++i) {
      EXPECT_EQ(alerts[i].id, s.truth[i].id);
      EXPECT_TRUE(ids.insert(s.truth[i].id).second);
      if (s.truth[i].kind == "noise") {
        ++noise;
        EXPECT_EQ(s.truth[i].incident.rfind("noise-", 0), 0u);
        EXPECT_FALSE(s.truth[i].root);
      } else {
        EXPECT_EQ(s.truth[i].incident[0], 'f');
        EXPECT_FALSE(s.truth[i].root_service.empty());
      }
    }
    EXPECT_EQ(noise, s.summary.noise_alerts);
    EXPECT_GT(noise, 0u);
  }
}

TEST(StormTest, ThreeAmIsOneFaultOfAboutTwoHundredAlertsInFourMinutes) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    const Storm s = generate(opts(Scenario::k3am, seed));
    SCOPED_TRACE(seed);
    EXPECT_EQ(s.summary.faults.size(), 1u);
    EXPECT_GE(s.summary.alerts, 150u);
    EXPECT_LE(s.summary.alerts, 260u);
    const auto alerts = s.alerts();
    ASSERT_FALSE(alerts.empty());
    EXPECT_LE(alerts.back().ts - alerts.front().ts, 5 * 60 * 1000);
    EXPECT_GE(alerts.back().ts - alerts.front().ts, 3 * 60 * 1000);
    EXPECT_GE(s.summary.faults[0].root_alerts, 1u);
  }
}

TEST(StormTest, ConcurrentFaultsStartWithinTwoMinutesInOneCluster) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const Storm s = generate(opts(Scenario::kConcurrent, seed));
    SCOPED_TRACE(seed);
    ASSERT_GE(s.summary.faults.size(), 2u);
    EXPECT_LE(s.summary.faults.size(), 3u);
    std::int64_t lo = INT64_MAX, hi = INT64_MIN;
    std::set<std::string> clusters, kinds;
    for (const auto& [incident, rows] : by_incident(s)) {
      if (incident.rfind("noise-", 0) == 0) continue;
      lo = std::min(lo, rows.front().first.ts);
      hi = std::max(hi, rows.front().first.ts);
      kinds.insert(rows.front().second.kind);
      for (const auto& [e, t] : rows)
        if (!e.label("cluster").empty()) clusters.insert(e.label("cluster"));
    }
    EXPECT_LE(hi - lo, 120 * 1000);
    EXPECT_EQ(clusters.size(), 1u);
    EXPECT_EQ(kinds.size(), s.summary.faults.size());  // distinct kinds
  }
}

TEST(StormTest, BusyHourHasFourToSixOverlappingFaultsOfMixedKinds) {
  StormOptions o = opts(Scenario::kBusyHour, 5);
  o.services = 40;
  o.nodes = 12;
  const Storm s = generate(o);
  EXPECT_GE(s.summary.faults.size(), 4u);
  EXPECT_LE(s.summary.faults.size(), 6u);
  std::set<std::string> kinds;
  for (const auto& f : s.summary.faults) kinds.insert(std::string(fault_kind_name(f.kind)));
  EXPECT_GE(kinds.size(), 2u);
  const auto alerts = s.alerts();
  EXPECT_GE(alerts.back().ts - alerts.front().ts, 40 * 60 * 1000);
  EXPECT_LE(alerts.back().ts - alerts.front().ts, 61 * 60 * 1000);
}

TEST(StormTest, EveryFaultKindHasRootAlertsAndTruthKind) {
  StormOptions o = opts(Scenario::kBusyHour, 9);
  o.faults = 5;
  o.kinds = {FaultKind::kDatastore, FaultKind::kBadDeploy, FaultKind::kNodeFailure,
             FaultKind::kNetworkPartition, FaultKind::kNoisyNeighbour};
  const Storm s = generate(o);
  ASSERT_EQ(s.summary.faults.size(), 5u);
  const auto inc = by_incident(s);
  std::set<std::string> kinds;
  for (const auto& f : s.summary.faults) {
    SCOPED_TRACE(f.id);
    ASSERT_TRUE(inc.count(f.id));
    std::size_t roots = 0;
    for (const auto& [e, t] : inc.at(f.id)) {
      EXPECT_EQ(t.kind, fault_kind_name(f.kind));
      EXPECT_EQ(t.root_service, f.root);
      roots += t.root;
    }
    EXPECT_GE(roots, 1u);
    kinds.insert(std::string(fault_kind_name(f.kind)));
  }
  EXPECT_EQ(kinds.size(), 5u);
}

TEST(StormTest, BadDeployChangeEventPrecedesFirstAlertOnService) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    StormOptions o = opts(seed % 2 ? Scenario::k3am : Scenario::kConcurrent, seed);
    o.kinds = {FaultKind::kBadDeploy};
    const Storm s = generate(o);
    SCOPED_TRACE(seed);
    ASSERT_FALSE(s.summary.faults.empty());
    const auto inc = by_incident(s);
    for (const auto& f : s.summary.faults) {
      ASSERT_EQ(f.kind, FaultKind::kBadDeploy);
      std::int64_t first_on_service = INT64_MAX;
      for (const auto& [e, t] : inc.at(f.id))
        if (e.service() == f.root) first_on_service = std::min(first_on_service, e.ts);
      ASSERT_NE(first_on_service, INT64_MAX);
      bool found = false;
      for (const auto& e : s.events) {
        if (!e.change || e.label("service") != f.root || e.label("change_type") != "deploy")
          continue;
        if (e.ts < first_on_service && e.ts >= first_on_service - 10 * 60 * 1000) found = true;
        EXPECT_EQ(e.label("deploy").rfind(f.root + "@v", 0), 0u);
      }
      EXPECT_TRUE(found) << f.root;
      EXPECT_LT(f.change_ms, f.start_ms);
    }
  }
}

TEST(StormTest, DatastoreRootAlertIsEarliestOfFaultAndOnRootService) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    StormOptions o = opts(Scenario::kConcurrent, seed);
    o.kinds = {FaultKind::kDatastore};
    const Storm s = generate(o);
    SCOPED_TRACE(seed);
    const auto inc = by_incident(s);
    for (const auto& f : s.summary.faults) {
      const auto& rows = inc.at(f.id);
      const auto& [first, truth] = rows.front();
      EXPECT_TRUE(truth.root);
      EXPECT_EQ(first.label("service"), f.root);
      for (const auto& [e, t] : rows)
        if (!t.root) {
          EXPECT_GE(e.ts, first.ts + 10 * 1000);  // dependents lag >= one hop
        }
      EXPECT_GE(f.services, 2u);
    }
  }
}

TEST(StormTest, NodeFailureSpansTwoOrMoreServices) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    StormOptions o = opts(Scenario::k3am, seed);
    o.kinds = {FaultKind::kNodeFailure};
    const Storm s = generate(o);
    SCOPED_TRACE(seed);
    ASSERT_EQ(s.summary.faults.size(), 1u);
    const auto& f = s.summary.faults[0];
    ASSERT_EQ(f.root.rfind("node:", 0), 0u);
    const std::string node = f.root.substr(5);
    std::set<std::string> services;
    const auto inc = by_incident(s);  // outlives the loop
    for (const auto& [e, t] : inc.at(f.id)) {
      if (t.root) {
        EXPECT_EQ(e.label("node"), node);
        EXPECT_TRUE(e.label("service").empty());  // node alerts carry no service
      } else if (!e.service().empty()) {
        services.insert(e.service());
      }
    }
    EXPECT_GE(services.size(), 2u);
  }
}

TEST(StormTest, FirehoseStopsAtAlertTargetInTimeOrder) {
  StormOptions o = opts(Scenario::kFirehose, 4);
  o.alerts = 20000;
  o.services = 60;
  o.nodes = 20;
  const Storm s = generate(o);
  EXPECT_EQ(s.summary.alerts, 20000u);
  EXPECT_EQ(s.alerts().size(), 20000u);
  EXPECT_EQ(s.truth.size(), 20000u);
  EXPECT_GE(s.summary.faults.size(), 5u);
  EXPECT_GT(s.summary.noise_alerts, 0u);
  EXPECT_TRUE(std::is_sorted(s.events.begin(), s.events.end(),
                             [](const Event& a, const Event& b) { return a.ts < b.ts; }));
}

TEST(StormTest, TopologyIsTheDesignFormatAndNamesAlertingServices) {
  const Storm s = generate(opts(Scenario::kConcurrent, 2));
  std::istringstream in(s.topology);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "services:");
  const std::regex row(R"(  ([a-z0-9-]+): \{(depends_on: \[[a-z0-9-]+(, [a-z0-9-]+)*\])?\})");
  std::set<std::string> names;
  while (std::getline(in, line)) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, row)) << line;
    names.insert(m[1]);
  }
  EXPECT_GE(names.size(), 50u);
  for (const auto& e : s.events) {
    if (!e.label("service").empty()) {
      EXPECT_TRUE(names.count(e.label("service"))) << e.label("service");
    }
  }
}

TEST(StormTest, RepeatsKeepFingerprintAndEndResolved) {
  const Storm s = generate(opts(Scenario::k3am, 12));
  std::map<std::map<std::string, std::string>, std::vector<const Event*>> series;
  for (const auto& e : s.events)
    if (!e.change) series[e.labels].push_back(&e);
  std::size_t repeated = 0, resolved = 0;
  for (const auto& [labels, evs] : series) {
    repeated += evs.size() >= 3;
    resolved += evs.back()->resolved;
  }
  EXPECT_GT(repeated, series.size() / 3);
  EXPECT_GT(resolved, series.size() / 2);
}

TEST(StormTest, RejectsUnwritableOutputDirectory) {
  StormOptions o = opts(Scenario::k3am, 1);
  o.out_dir = "/proc/squall-storm-cannot-write-here";
  EXPECT_FALSE(generate_storm(o).has_value());
}

}  // namespace
}  // namespace squall::storm
