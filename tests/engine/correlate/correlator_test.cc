#include "engine/correlate/correlator.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/core/time.h"
#include "engine/parse/parser.h"

namespace squall::correlate {
namespace {

constexpr std::int64_t kT0 = 1764000000000LL;
constexpr std::int64_t kSec = 1000;
constexpr std::int64_t kMin = 60 * kSec;
constexpr std::int64_t kHour = 60 * kMin;

// Records what the correlator says, and resolves merges like `squall replay` does.
struct Recorder : Listener {
  std::map<std::uint64_t, std::uint64_t> incident_of;  // seq -> incident number
  std::map<std::uint64_t, std::uint64_t> merged_into;
  std::vector<std::pair<std::string, IncidentEvent>> events;
  std::int64_t last_tick = 0;
  void on_assigned(std::uint64_t seq, const core::Incident& inc) override {
    incident_of[seq] = inc.number;
  }
  void on_assigned_closed(std::uint64_t seq, std::string_view, std::uint64_t number) override {
    incident_of[seq] = number;
    after_close.push_back(seq);
  }
  std::vector<std::uint64_t> after_close;  // seqs assigned to an incident already closed
  void on_merged(const core::Incident& from, const core::Incident& into) override {
    merged_into[from.number] = into.number;
  }
  void on_incident(const core::Incident& inc, IncidentEvent e, std::int64_t) override {
    events.emplace_back(inc.id, e);
    if (e == IncidentEvent::kClosed) {
      closed_services[inc.number] = inc.services;
      closed_nodes[inc.number] = inc.nodes;
    }
  }
  // Per incident number: its services' and nodes' counts when it closed.
  std::map<std::uint64_t, std::vector<core::EntityStat>> closed_services, closed_nodes;
  void on_tick(std::int64_t wm) override { last_tick = wm; }
  std::uint64_t final_incident(std::uint64_t seq) const {
    std::uint64_t n = incident_of.at(seq);
    for (auto it = merged_into.find(n); it != merged_into.end(); it = merged_into.find(n))
      n = it->second;
    return n;
  }
  std::size_t closed() const {
    std::size_t n = 0;
    for (const auto& [id, e] : events) n += e == IncidentEvent::kClosed;
    return n;
  }
};

// A storm written by hand: alerts as (ts offset, labels) with repeat support.
class CorrelatorTest : public ::testing::Test {
 protected:
  void topology(std::vector<core::Topology::Entry> entries) {
    topo_ = std::make_shared<core::Topology>(
        core::Topology::build(entries, interner_, config_.max_hops));
  }
  // Adds an alert line; returns its seq.
  std::uint64_t alert(std::int64_t t, const std::string& labels,
                      const std::string& status = "firing", const std::string& kind = "alert") {
    const std::string line = "{\"id\":\"a" + std::to_string(lines_.size()) +
                             "\",\"ts\":" + std::to_string(kT0 + t) + ",\"status\":\"" + status +
                             "\",\"kind\":\"" + kind + "\",\"labels\":{" + labels + "}}";
    lines_.push_back(line);
    return lines_.size() - 1;
  }
  // An alert line with a summary annotation.
  std::uint64_t alert_with_summary(std::int64_t t, const std::string& labels,
                                   const std::string& summary) {
    const std::uint64_t seq = alert(t, labels);
    std::string& line = lines_.back();
    line.insert(line.size() - 1, ",\"annotations\":{\"summary\":\"" + summary + "\"}");
    return seq;
  }
  // Feeds the lines in `order` (default: as added) and finishes.
  void run(std::vector<std::size_t> order = {}) {
    if (order.empty())
      for (std::size_t i = 0; i < lines_.size(); ++i) order.push_back(i);
    parse::Parser parser(interner_);
    Correlator c(config_, topo_, interner_, rec_);
    for (std::size_t i : order) {
      batch_.clear();
      ASSERT_TRUE(parser.parse_native(lines_[i], batch_, kT0)) << lines_[i];
      c.add(batch_, batch_.alerts[0], i);
      // Every test also checks the value index against the members after each alert.
      if (std::string e = c.check_index(); !e.empty() && index_error_.empty())
        index_error_ = "after line " + std::to_string(i) + ": " + e;
    }
    c.finish();
    if (std::string e = c.check_index(); !e.empty() && index_error_.empty())
      index_error_ = "after finish: " + e;
    stats_ = c.stats();
    members_left_ = c.active_members();
    open_left_ = c.open_incidents();
  }
  // An alert `alertname` whose one other label is `what`=`name` (cluster prod).
  std::uint64_t in_prod(std::int64_t t, std::string_view alertname, std::string_view what,
                        std::string_view name) {
    return alert(t, "\"alertname\":\"" + std::string(alertname) + "\",\"" + std::string(what) +
                        "\":\"" + std::string(name) + "\",\"cluster\":\"prod\"");
  }
  // An alert of `service` on `node` in `zone` (cluster prod).
  std::uint64_t placed(std::int64_t t, std::string_view alertname, std::string_view service,
                       std::string_view zone, std::string_view node) {
    return alert(t, "\"alertname\":\"" + std::string(alertname) + "\",\"service\":\"" +
                        std::string(service) + "\",\"zone\":\"" + std::string(zone) +
                        "\",\"node\":\"" + std::string(node) + "\",\"cluster\":\"prod\"");
  }
  // A blackbox probe from one zone to another failing (an alert about no service or node).
  std::uint64_t probe(std::int64_t t, std::string_view from, std::string_view to) {
    return alert(t, "\"alertname\":\"CrossZoneProbeFailed\",\"instance\":\"probe." +
                        std::string(to) + ":443\",\"source_zone\":\"" + std::string(from) +
                        "\",\"target_zone\":\"" + std::string(to) + "\",\"cluster\":\"prod\"");
  }
  // Five services with nothing in common but `zone`, on five nodes, failing 10-42 s in.
  void zone_fails(std::string_view zone, std::vector<std::uint64_t>& seqs) {
    const char* services[] = {"search", "billing", "media", "ledger", "quotes"};
    for (int i = 0; i < 5; ++i)
      seqs.push_back(placed((10 + 8 * i) * kSec, "UpstreamConnectFailures", services[i], zone,
                            "ip-" + std::to_string(i + 1)));
  }
  std::set<std::uint64_t> incidents_of(const std::vector<std::uint64_t>& seqs) const {
    std::set<std::uint64_t> out;
    for (auto s : seqs) out.insert(rec_.final_incident(s));
    return out;
  }
  std::set<std::uint64_t> all_incidents() const {
    std::set<std::uint64_t> out;
    for (const auto& [seq, n] : rec_.incident_of) out.insert(rec_.final_incident(seq));
    return out;
  }

  void TearDown() override { EXPECT_EQ(index_error_, ""); }

  Config config_;
  std::string index_error_;
  core::Interner interner_;
  std::shared_ptr<core::Topology> topo_;
  std::vector<std::string> lines_;
  core::AlertBatch batch_;
  Recorder rec_;
  Stats stats_;
  std::size_t members_left_ = 0;
  std::size_t open_left_ = 0;
};

TEST_F(CorrelatorTest, RepeatsOfAFingerprintDeduplicate) {
  std::vector<std::uint64_t> seqs;
  for (int i = 0; i < 5; ++i)
    seqs.push_back(alert(i * 30 * kSec, R"("alertname":"HighErrorRate","service":"checkout")"));
  run();
  EXPECT_EQ(incidents_of(seqs).size(), 1u);
  EXPECT_EQ(stats_.deduplicated, 4u);
  EXPECT_EQ(stats_.opened, 1u);
}

TEST_F(CorrelatorTest, NodeFailureGroupsPodsOfDifferentServices) {
  std::vector<std::uint64_t> seqs;
  seqs.push_back(alert(0, R"("alertname":"NodeDown","node":"ip-10-0-3-8","cluster":"prod")"));
  seqs.push_back(alert(
      20 * kSec,
      R"("alertname":"PodNotReady","service":"checkout","pod":"checkout-1","node":"ip-10-0-3-8","cluster":"prod")"));
  seqs.push_back(alert(
      25 * kSec,
      R"("alertname":"PodNotReady","service":"search","pod":"search-7","node":"ip-10-0-3-8","cluster":"prod")"));
  seqs.push_back(alert(
      40 * kSec,
      R"("alertname":"HighErrorRate","service":"payments","pod":"payments-2","node":"ip-10-0-3-8","cluster":"prod")"));
  run();
  EXPECT_EQ(incidents_of(seqs).size(), 1u);
}

// A noisy neighbour: one workload's container hogs the CPU of its node, the node saturates, the
// other pods there slow down. The hog alerted first, alone; the node's own alert shortly after
// joins its incident, and the victims follow: one incident, with the hog in it.
TEST_F(CorrelatorTest, ANodeAlertJoinsTheWorkloadThatSaturatedItJustBefore) {
  const auto hog = alert(
      0,
      R"("alertname":"ContainerCpuUsageHigh","service":"warehouse","pod":"warehouse-1","node":"ip-10-1-1-194","cluster":"prod")");
  const auto node = alert(
      40 * kSec, R"("alertname":"NodeCPUSaturation","node":"ip-10-1-1-194","cluster":"prod")");
  const auto v1 = alert(
      65 * kSec,
      R"("alertname":"HighLatencyP99","service":"returns","pod":"returns-3","node":"ip-10-1-1-194","cluster":"prod")");
  const auto v2 = alert(
      80 * kSec,
      R"("alertname":"HighLatencyP99","service":"image-resizer","pod":"image-resizer-2","node":"ip-10-1-1-194","cluster":"prod")");
  // The same kind of node alert on another workload's node, long after that workload's episode
  // began: not its doing.
  const auto other = alert(
      0,
      R"("alertname":"ContainerCpuUsageHigh","service":"ledger","pod":"ledger-1","node":"ip-10-1-2-7","cluster":"prod")");
  const auto late_node =
      alert(9 * kMin, R"("alertname":"NodeDiskPressure","node":"ip-10-1-2-7","cluster":"prod")");
  config_.quiet_period_ms = 30 * kMin;
  run();
  EXPECT_EQ(incidents_of({hog, node, v1, v2}).size(), 1u);
  EXPECT_NE(rec_.final_incident(other), rec_.final_incident(late_node));
  EXPECT_NE(rec_.final_incident(hog), rec_.final_incident(other));
}

// A node alert joins, by learned placement, an incident whose services run on that node only when
// they are at least half of its services: on a few nodes every large incident has a couple of
// services on each, and counting them chained unrelated node faults into whichever was busy there.
TEST_F(CorrelatorTest, ANodeAlertJoinsByPlacementOnlyTheIncidentItsNodeHostsMostOf) {
  topology({{"web", {"api"}},
            {"api", {"cart", "search"}},
            {"cart", {"db"}},
            {"search", {"db"}},
            {"db", {}},
            {"shop", {"stock"}},
            {"stock", {"ledger"}},
            {"ledger", {}}});
  // Where the services run, learned from earlier alerts that carried a node (closed long before).
  std::vector<std::uint64_t> early;
  for (auto [svc, node] : {std::pair{"web", "n1"},
                           {"api", "n1"},
                           {"cart", "n2"},
                           {"search", "n2"},
                           {"db", "n3"},
                           {"shop", "n4"},
                           {"stock", "n4"},
                           {"ledger", "n5"}})
    early.push_back(alert(-40 * kMin, std::string(R"("alertname":"PodRestarted","service":")") +
                                          svc + R"(","node":")" + node + R"(","cluster":"prod")"));
  // A cascade of five services (no node on its alerts): n1 hosts two of them.
  const auto db = in_prod(0, "DatabaseDown", "service", "db");
  const auto cart = in_prod(10 * kSec, "HighErrorRate", "service", "cart");
  const auto search = in_prod(15 * kSec, "HighLatency", "service", "search");
  const auto api = in_prod(20 * kSec, "HighErrorRate", "service", "api");
  const auto web = in_prod(25 * kSec, "HighErrorRate", "service", "web");
  const auto n1 = in_prod(40 * kSec, "HostOutOfDiskSpace", "node", "n1");
  // Another cascade of three: n4 hosts two of them, most of the incident.
  const auto ledger = in_prod(5 * kMin, "HighErrorRate", "service", "ledger");
  const auto stock = in_prod(5 * kMin + 10 * kSec, "HighErrorRate", "service", "stock");
  const auto shop = in_prod(5 * kMin + 20 * kSec, "HighErrorRate", "service", "shop");
  const auto n4 = in_prod(5 * kMin + 40 * kSec, "NodeMemoryPressure", "node", "n4");
  // Placement alone links here (by default it takes other evidence with it): the rule, isolated.
  config_.w_placement = 0.7;
  run();
  EXPECT_EQ(incidents_of({db, cart, search, api, web}).size(), 1u);
  EXPECT_NE(rec_.final_incident(n1), rec_.final_incident(db));
  EXPECT_EQ(incidents_of({ledger, stock, shop, n4}).size(), 1u);
  EXPECT_NE(rec_.final_incident(db), rec_.final_incident(ledger));
}

// Likewise a node is what an incident is about (so that any later alert on it joins) when the
// services failing on it are most of the incident's, not merely two of them.
TEST_F(CorrelatorTest, ANodeHostingAFewOfAnIncidentsServicesIsNotWhatItIsAbout) {
  topology({{"a", {"b"}},
            {"b", {"c"}},
            {"c", {"d"}},
            {"d", {"e"}},
            {"e", {"f"}},
            {"f", {}},
            {"g", {"h"}},
            {"h", {"i"}},
            {"i", {}},
            {"x", {}},
            {"y", {}},
            {"z", {}}});
  auto on = [&](std::int64_t t, std::string_view svc, std::string_view node) {
    return alert(t, "\"alertname\":\"HighErrorRate\",\"service\":\"" + std::string(svc) +
                        "\",\"node\":\"" + std::string(node) + "\",\"cluster\":\"prod\"");
  };
  // Where z runs, from an episode of it long over.
  on(-40 * kMin, "z", "n1");
  alert(-39 * kMin, R"("alertname":"HighErrorRate","service":"z","node":"n1","cluster":"prod")",
        "resolved");
  // Six services failing in a chain, two on each of three nodes.
  const auto f = on(0, "f", "n1");
  const auto e = on(5 * kSec, "e", "n1");
  const auto d = on(10 * kSec, "d", "n2");
  const auto c = on(15 * kSec, "c", "n2");
  const auto b = on(20 * kSec, "b", "n3");
  const auto a = on(25 * kSec, "a", "n3");
  const auto x = on(50 * kSec, "x", "n1");  // unrelated, on one of the nodes
  // Unrelated too: learned (long before) to run on that node, its alert naming no node.
  const auto z = alert(55 * kSec, R"("alertname":"HighErrorRate","service":"z","cluster":"prod")");
  // Three failing in a chain, two of them on n4; then another service there.
  const auto i = on(5 * kMin, "i", "n4");
  const auto h = on(5 * kMin + 5 * kSec, "h", "n4");
  const auto g = on(5 * kMin + 10 * kSec, "g", "n5");
  const auto y = on(5 * kMin + 35 * kSec, "y", "n4");
  config_.w_placement = 0.7;  // placement alone would link (see the test above)
  run();
  EXPECT_EQ(incidents_of({f, e, d, c, b, a}).size(), 1u);
  EXPECT_NE(rec_.final_incident(x), rec_.final_incident(f));
  EXPECT_NE(rec_.final_incident(z), rec_.final_incident(f));
  EXPECT_EQ(incidents_of({i, h, g, y}).size(), 1u);
  EXPECT_NE(rec_.final_incident(i), rec_.final_incident(f));
}

// An incident of many services (here 40 pods of 40 services on one failing node) finds a repeat's
// service and node through an index rather than by scanning them: each count lands on its own
// entity, as it does in a small incident.
TEST_F(CorrelatorTest, ALargeIncidentCountsEachRepeatOnItsOwnServiceAndNode) {
  constexpr int kServices = 40;
  auto labels = [](int i) {
    return "\"alertname\":\"PodNotReady\",\"service\":\"svc-" + std::to_string(i) +
           "\",\"pod\":\"svc-" + std::to_string(i) + "-0\",\"node\":\"n1\",\"cluster\":\"prod\"";
  };
  std::vector<std::uint64_t> seqs;
  for (int i = 0; i < kServices; ++i) seqs.push_back(alert(i * 500, labels(i)));
  // Service i is re-sent i % 3 times; services 5 and 7 then resolve.
  for (int r = 1; r <= 2; ++r)
    for (int i = 0; i < kServices; ++i)
      if (i % 3 >= r) alert(30 * kSec + r * kSec + i * 10, labels(i));
  alert(40 * kSec, labels(5), "resolved");
  alert(40 * kSec, labels(7), "resolved");
  run();
  ASSERT_EQ(incidents_of(seqs).size(), 1u);
  const std::uint64_t n = *incidents_of(seqs).begin();
  const auto& services = rec_.closed_services.at(n);
  ASSERT_EQ(services.size(), static_cast<std::size_t>(kServices));
  std::uint32_t total = 0;
  for (const core::EntityStat& e : services) {
    const int i = std::stoi(std::string(interner_.view(e.entity)).substr(4));
    const bool resolved = i == 5 || i == 7;
    EXPECT_EQ(e.alerts, 1u + static_cast<std::uint32_t>(i % 3) + (resolved ? 1u : 0u)) << i;
    EXPECT_EQ(e.firing, resolved ? 0u : 1u) << i;
    total += e.alerts;
  }
  const auto& nodes = rec_.closed_nodes.at(n);
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0].alerts, total);
  EXPECT_EQ(nodes[0].firing, static_cast<std::uint32_t>(kServices - 2));
}

// A large incident (its entities indexed) is still scoped by cluster: the same service failing in
// another cluster is another fault.
TEST_F(CorrelatorTest, ALargeIncidentsServiceInAnotherClusterIsAnotherFault) {
  std::vector<std::uint64_t> eu;
  for (int i = 0; i < 40; ++i)
    eu.push_back(alert(i * 500, "\"alertname\":\"PodNotReady\",\"service\":\"svc-" +
                                    std::to_string(i) + "\",\"pod\":\"svc-" + std::to_string(i) +
                                    "-0\",\"node\":\"n1\",\"cluster\":\"eu\""));
  const auto same_cluster =
      alert(30 * kSec, R"("alertname":"HighErrorRate","service":"svc-3","cluster":"eu")");
  const auto other_cluster =
      alert(31 * kSec, R"("alertname":"HighErrorRate","service":"svc-3","cluster":"us")");
  // Its node is found through the index too: the node's own alert joins it.
  const auto node_alert =
      alert(60 * kSec, R"("alertname":"KubeletTooManyPods","node":"n1","cluster":"eu")");
  run();
  ASSERT_EQ(incidents_of(eu).size(), 1u);
  EXPECT_EQ(rec_.final_incident(same_cluster), rec_.final_incident(eu[0]));
  EXPECT_NE(rec_.final_incident(other_cluster), rec_.final_incident(eu[0]));
  EXPECT_EQ(rec_.final_incident(node_alert), rec_.final_incident(eu[0]));
}

TEST_F(CorrelatorTest, ClusterAloneNeverMerges) {
  // Unrelated services, no topology between them, same cluster and alertname, seconds apart.
  std::vector<std::uint64_t> seqs;
  const char* services[] = {"checkout", "search", "billing", "auth", "media", "ledger"};
  for (int i = 0; i < 6; ++i)
    seqs.push_back(alert(
        i * 5 * kSec,
        std::string(
            R"("alertname":"HighErrorRate","cluster":"prod","namespace":"shop","service":")") +
            services[i] + "\""));
  run();
  EXPECT_EQ(incidents_of(seqs).size(), 6u);
}

TEST_F(CorrelatorTest, DatastoreFailureJoinsDependentsThroughTopology) {
  topology({{"frontend", {"checkout"}},
            {"checkout", {"orders", "payments"}},
            {"orders", {"db-orders"}},
            {"db-orders", {}}});
  std::vector<std::uint64_t> seqs;
  seqs.push_back(alert(0, R"("alertname":"ConnectionPoolExhausted","service":"db-orders")"));
  seqs.push_back(alert(30 * kSec, R"("alertname":"HighErrorRate","service":"orders")"));
  seqs.push_back(alert(60 * kSec, R"("alertname":"HighErrorRate","service":"checkout")"));
  seqs.push_back(alert(90 * kSec, R"("alertname":"HighLatencyP99","service":"frontend")"));
  run();
  EXPECT_EQ(incidents_of(seqs).size(), 1u);
}

// Services that each run in one cluster call across clusters. Once enough of them have alerted,
// each in one cluster only (no copy of a service alerting in two), a caller in one cluster links
// to the failing callee it depends on in the other.
class CrossClusterTest : public CorrelatorTest {
 protected:
  void SetUp() override {
    topology({{"web", {"db"}},
              {"db", {}},
              {"a1", {}},
              {"a2", {}},
              {"a3", {}},
              {"b1", {}},
              {"b2", {}},
              {"b3", {}}});
  }
  enum class History { kDisjoint, kCopies, kFew, kInfraEverywhere };
  // Earlier background alerts (long resolved): a1-a3 and web in c1, b1-b3 and db in c2 (kFew: only
  // a1 and b1 of those; kCopies: a1 in c2 too; kInfraEverywhere: kubelet, not a topology service,
  // in both). Then db fails in c2 and web, its caller, in c1: are they one?
  bool caller_joins_callee(History h) {
    const bool few = h == History::kFew;
    for (const char* s : {"a1", "a2", "a3", "web"})
      if (!few || (s[1] != '2' && s[1] != '3'))
        alert(0, std::string(R"("alertname":"Old","cluster":"c1","service":")") + s + "\"",
              "resolved");
    for (const char* s : {"b1", "b2", "b3", "db"})
      if (!few || (s[1] != '2' && s[1] != '3'))
        alert(0, std::string(R"("alertname":"Old","cluster":"c2","service":")") + s + "\"",
              "resolved");
    if (h == History::kCopies)
      alert(0, R"("alertname":"Old","cluster":"c2","service":"a1")", "resolved");
    if (h == History::kInfraEverywhere)
      for (const char* c : {"c1", "c2"})
        alert(
            0,
            std::string(R"("alertname":"KubeletDown","service":"kubelet","cluster":")") + c + "\"",
            "resolved");
    const auto db =
        alert(30 * kMin, R"("alertname":"ConnectionsExhausted","cluster":"c2","service":"db")");
    const auto web = alert(30 * kMin + 40 * kSec,
                           R"("alertname":"HighErrorRate","cluster":"c1","service":"web")");
    run();
    return rec_.final_incident(db) == rec_.final_incident(web);
  }
};

TEST_F(CrossClusterTest, ACallerLinksToItsCalleeInAnotherCluster) {
  EXPECT_TRUE(caller_joins_callee(History::kDisjoint));
}

// a1 alerted in both clusters: each cluster runs its own copies, and calls stay local.
TEST_F(CrossClusterTest, WhereServicesRunInEveryClusterCallsStayLocal) {
  EXPECT_FALSE(caller_joins_callee(History::kCopies));
}

// Two services seen per cluster (of 8 in the topology): disjoint by chance as likely as not.
TEST_F(CrossClusterTest, TooFewServicesSeenToKnowKeepCallsLocal) {
  EXPECT_FALSE(caller_joins_callee(History::kFew));
}

// Infrastructure alerting in every cluster says nothing about where the services run.
TEST_F(CrossClusterTest, InfrastructureInEveryClusterDoesNotKeepCallsLocal) {
  EXPECT_TRUE(caller_joins_callee(History::kInfraEverywhere));
}

TEST_F(CorrelatorTest, KeepsConcurrentFaultsApart) {
  // Two faults in one cluster a minute apart, in parts of the topology that don't touch.
  topology({{"web", {"cart"}},
            {"cart", {"redis-cart"}},
            {"redis-cart", {}},
            {"reports", {"ledger"}},
            {"ledger", {"db-ledger"}},
            {"db-ledger", {}}});
  std::vector<std::uint64_t> a, b;
  a.push_back(alert(
      0, R"("alertname":"RedisDown","service":"redis-cart","cluster":"prod","namespace":"shop")"));
  b.push_back(
      alert(60 * kSec,
            R"("alertname":"DiskFull","service":"db-ledger","cluster":"prod","namespace":"shop")"));
  a.push_back(
      alert(70 * kSec,
            R"("alertname":"HighErrorRate","service":"cart","cluster":"prod","namespace":"shop")"));
  b.push_back(alert(
      80 * kSec,
      R"("alertname":"HighErrorRate","service":"ledger","cluster":"prod","namespace":"shop")"));
  a.push_back(
      alert(90 * kSec,
            R"("alertname":"HighErrorRate","service":"web","cluster":"prod","namespace":"shop")"));
  b.push_back(alert(
      95 * kSec,
      R"("alertname":"HighErrorRate","service":"reports","cluster":"prod","namespace":"shop")"));
  run();
  EXPECT_EQ(incidents_of(a).size(), 1u);
  EXPECT_EQ(incidents_of(b).size(), 1u);
  EXPECT_NE(*incidents_of(a).begin(), *incidents_of(b).begin());
}

// What travels along a call is a symptom. A service's own CPU throttling, shortly after the service
// it calls started failing, is not that failure's doing: with nothing else linking them it is a
// fault (or noise) of its own. The same service's errors are the callee's failure showing.
TEST_F(CorrelatorTest, ACallersOwnResourceAlertIsNotItsCalleesSymptom) {
  topology({{"web", {"cart"}}, {"cart", {}}});
  const auto cart = in_prod(0, "HighErrorRate", "service", "cart");
  const auto throttled = in_prod(30 * kSec, "CPUThrottlingHigh", "service", "web");
  const auto errors = in_prod(40 * kSec, "HighErrorRate", "service", "web");
  run();
  EXPECT_NE(rec_.final_incident(throttled), rec_.final_incident(cart));
  EXPECT_EQ(rec_.final_incident(errors), rec_.final_incident(cart));
}

// A service showing only resource alerts (its memory climbing) has no symptom for a callee to
// explain: a callee failing a minute later is another fault. A callee of a service with errors is
// its possible late-alerting cause and joins.
TEST_F(CorrelatorTest, ACalleeExplainsNoIncidentServiceWithResourceAlertsOnly) {
  topology({{"checkout", {"cart"}}, {"cart", {}}, {"orders", {"payments"}}, {"payments", {}}});
  const auto memory = in_prod(0, "ContainerMemoryNearLimit", "service", "checkout");
  const auto orders = in_prod(0, "HighErrorRate", "service", "orders");
  const auto cart = in_prod(60 * kSec, "HighErrorRate", "service", "cart");
  const auto payments = in_prod(60 * kSec, "HighErrorRate", "service", "payments");
  run();
  EXPECT_NE(rec_.final_incident(cart), rec_.final_incident(memory));
  EXPECT_EQ(rec_.final_incident(payments), rec_.final_incident(orders));
}

// A fault shows upstream more slowly than a late cause shows its own alert: a caller's errors
// 165 s after its callee's first join it, a callee's first alert 165 s after its caller's does not
// (each incident active all along: its service's pods erroring one after another).
TEST_F(CorrelatorTest, CallersAreGivenLongerToShowAFaultThanALateCause) {
  topology({{"web", {"cart"}}, {"cart", {}}, {"portal", {"ledger"}}, {"ledger", {}}});
  std::uint64_t cart = 0, portal = 0;
  for (int i = 0; i < 4; ++i)
    for (std::string_view service : {"cart", "portal"}) {
      const auto seq =
          alert(50 * i * kSec, R"("alertname":"HighErrorRate","service":")" + std::string(service) +
                                   R"(","pod":")" + std::string(service) + "-" + std::to_string(i) +
                                   R"(","cluster":"prod")");
      if (i == 0) (service == "cart" ? cart : portal) = seq;
    }
  const auto web =
      alert(165 * kSec, R"("alertname":"HighErrorRate","service":"web","cluster":"prod")");
  const auto ledger =
      alert(165 * kSec, R"("alertname":"HighErrorRate","service":"ledger","cluster":"prod")");
  run();
  EXPECT_EQ(rec_.final_incident(web), rec_.final_incident(cart));
  EXPECT_NE(rec_.final_incident(ledger), rec_.final_incident(portal));
}

// Without a topology file, a call learned from an alert naming its upstream gives the caller the
// same longer window: web, seen failing to reach cart an hour before, erroring 165 s after cart's
// pods started failing joins them.
TEST_F(CorrelatorTest, ACallerOnALearnedEdgeIsGivenLongerToShowAFaultToo) {
  alert(0, R"("alertname":"UpstreamConnectFailures","service":"web","upstream":"cart")");
  std::uint64_t cart = 0;
  for (int i = 0; i < 4; ++i) {
    const auto seq = alert(kHour + 50 * i * kSec, R"("alertname":"HighErrorRate","service":"cart",)"
                                                  R"("pod":"cart-)" +
                                                      std::to_string(i) + R"(")");
    if (i == 0) cart = seq;
  }
  const auto web = alert(kHour + 165 * kSec, R"("alertname":"HighErrorRate","service":"web")");
  run();
  EXPECT_EQ(rec_.final_incident(web), rec_.final_incident(cart));
}

// One event seen through many series in the same second (a mesh reporting 5xx on every call to a
// node's services the moment it went down) opens several incidents at once; the caller erroring
// toward each of them is in all of them, and they are one.
TEST_F(CorrelatorTest, IncidentsOpenedWithinSecondsSharingAFiringServiceAreOne) {
  topology({{"ui", {"seats", "fares"}}, {"seats", {}}, {"fares", {}}});
  std::vector<std::uint64_t> seqs;
  seqs.push_back(alert(0, R"("alertname":"High5xxRate","service":"seats","cluster":"prod")"));
  seqs.push_back(alert(100, R"("alertname":"High5xxRate","service":"fares","cluster":"prod")"));
  seqs.push_back(alert(
      200, R"("alertname":"High5xxRate","service":"ui","upstream":"seats","cluster":"prod")"));
  seqs.push_back(alert(
      300, R"("alertname":"High5xxRate","service":"ui","upstream":"fares","cluster":"prod")"));
  run();
  EXPECT_EQ(incidents_of(seqs).size(), 1u);
}

// The same two failures a minute apart are two faults meeting at their common caller.
TEST_F(CorrelatorTest, IncidentsOpenedAMinuteApartSharingACallerStayTwo) {
  topology({{"ui", {"seats", "fares"}}, {"seats", {}}, {"fares", {}}});
  const auto seats = alert(0, R"("alertname":"High5xxRate","service":"seats","cluster":"prod")");
  const auto fares =
      alert(60 * kSec, R"("alertname":"High5xxRate","service":"fares","cluster":"prod")");
  alert(10 * kSec,
        R"("alertname":"High5xxRate","service":"ui","upstream":"seats","cluster":"prod")");
  alert(70 * kSec,
        R"("alertname":"High5xxRate","service":"ui","upstream":"fares","cluster":"prod")");
  run({0, 2, 1, 3});
  EXPECT_NE(rec_.final_incident(seats), rec_.final_incident(fares));
}

// A frontend alerts first; one of its dependencies then fails (its likely cause, alerting late),
// and a minute later another, unrelated dependency: the frontend's failure is explained already,
// so the second is a second fault, not another cause of the first.
TEST_F(CorrelatorTest, AFrontendsSecondFailingDependencyIsAnotherFault) {
  topology({{"portal", {"audit", "payments"}}, {"audit", {}}, {"payments", {}}});
  const auto portal =
      alert(0, R"("alertname":"HighErrorRate","service":"portal","cluster":"prod")");
  const auto audit =
      alert(20 * kSec, R"("alertname":"PodCrashLooping","service":"audit","cluster":"prod")");
  const auto payments = alert(
      80 * kSec, R"("alertname":"UpstreamConnectFailures","service":"payments","cluster":"prod")");
  run();
  EXPECT_EQ(rec_.final_incident(portal), rec_.final_incident(audit));
  EXPECT_NE(rec_.final_incident(payments), rec_.final_incident(portal));
}

// An incident kept alive for half an hour by one service's pods erroring one after another still
// holds the other service it began with; a new fault there, long after that service's own alerts
// began, is a new incident, not a link in a chain that would grow to the whole storm.
TEST_F(CorrelatorTest, ALongLivedIncidentDoesNotChainALaterFaultOnAnOldMember) {
  topology({{"web", {"cart"}}, {"cart", {}}});
  const auto first = alert(0, R"("alertname":"HighErrorRate","service":"cart","cluster":"prod")");
  std::vector<std::uint64_t> web;
  for (int i = 0; i < 30; ++i) {
    web.push_back(alert((30 + 60 * i) * kSec, R"("alertname":"PodErrorRateHigh","service":"web",)"
                                              R"("pod":"web-)" +
                                                  std::to_string(i) + R"(","cluster":"prod")"));
    alert((40 + 60 * i) * kSec, R"("alertname":"HighErrorRate","service":"cart","cluster":"prod")");
  }
  const auto later = alert(30 * kMin + 50 * kSec,
                           R"("alertname":"HighLatencyP99","service":"cart","cluster":"prod")");
  run();
  EXPECT_EQ(incidents_of(web).size(), 1u);
  EXPECT_EQ(rec_.final_incident(web.front()), rec_.final_incident(first));
  EXPECT_NE(rec_.final_incident(later), rec_.final_incident(first));
}

// A frontend calls into two unrelated incidents, each opened moments before by a failing
// dependency: topology alone scores both fully. Its alert names the upstream it fails to reach, so
// it goes with that one, not with the older incident.
TEST_F(CorrelatorTest, AnAlertTornBetweenTwoIncidentsGoesWithTheUpstreamItNames) {
  topology({{"web", {"cart", "content"}}, {"cart", {}}, {"content", {}}});
  const auto cart = alert(0, R"("alertname":"HighErrorRate","service":"cart","cluster":"prod")");
  const auto content =
      alert(kSec, R"("alertname":"HighErrorRate","service":"content","cluster":"prod")");
  const auto web = alert(
      20 * kSec,
      R"("alertname":"UpstreamErrorRateHigh","service":"web","upstream":"content","cluster":"prod")");
  run();
  EXPECT_NE(rec_.final_incident(cart), rec_.final_incident(content));
  EXPECT_EQ(rec_.final_incident(web), rec_.final_incident(content));
}

// The same, without an upstream label: the incident holding more of the frontend's direct
// dependencies explains it better than the older one holding a single dependency.
TEST_F(CorrelatorTest, AnAlertTornBetweenTwoIncidentsGoesWithMoreOfItsDependencies) {
  topology({{"web", {"cart", "content", "search"}},
            {"cart", {}},
            {"content", {"search"}},
            {"search", {}}});
  const auto cart = alert(0, R"("alertname":"HighErrorRate","service":"cart","cluster":"prod")");
  const auto search =
      alert(kSec, R"("alertname":"HighErrorRate","service":"search","cluster":"prod")");
  const auto content =
      alert(2 * kSec, R"("alertname":"HighErrorRate","service":"content","cluster":"prod")");
  const auto web =
      alert(20 * kSec, R"("alertname":"HighRequestTimeouts","service":"web","cluster":"prod")");
  run();
  EXPECT_EQ(rec_.final_incident(search), rec_.final_incident(content));
  EXPECT_NE(rec_.final_incident(cart), rec_.final_incident(search));
  EXPECT_EQ(rec_.final_incident(web), rec_.final_incident(search));
}

// Again without an upstream label, one dependency in each incident: the one failing harder (more
// distinct alerts) is the likelier cause; a lone background alert on the other loses the tie.
TEST_F(CorrelatorTest, AnAlertTornBetweenTwoIncidentsGoesWithTheDependencyFailingHarder) {
  topology({{"web", {"cart", "content"}}, {"cart", {}}, {"content", {}}});
  const auto cart = alert(0, R"("alertname":"HighErrorRate","service":"cart","cluster":"prod")");
  std::vector<std::uint64_t> content;
  for (const char* name : {"HighErrorRate", "HighLatencyP99", "ContainerRestarting"})
    content.push_back(alert(kSec, std::string(R"("alertname":")") + name +
                                      R"(","service":"content","cluster":"prod")"));
  const auto web =
      alert(20 * kSec, R"("alertname":"HighRequestTimeouts","service":"web","cluster":"prod")");
  run();
  EXPECT_EQ(incidents_of(content).size(), 1u);
  EXPECT_NE(rec_.final_incident(cart), rec_.final_incident(content[0]));
  EXPECT_EQ(rec_.final_incident(web), rec_.final_incident(content[0]));
}

// A zone partition: services with nothing in common but their zone, on different nodes, start
// failing together, and nothing else in the cluster does. The cross-zone probes that fired first,
// and a service whose alert names only its node (seen in that zone before), belong to it too; an
// alert in another zone at the same time does not.
TEST_F(CorrelatorTest, AZoneBurstAcrossNodesIsOneIncidentWithItsProbes) {
  // Earlier, quiet history: which zones exist, and where node ip-9 is.
  alert(
      -20 * kMin,
      R"("alertname":"CertificateExpiringSoon","service":"vault","zone":"eu-1a","cluster":"prod")");
  alert(-20 * kMin, R"("alertname":"DiskSpaceLow","node":"ip-9","zone":"eu-1b","cluster":"prod")");
  std::vector<std::uint64_t> zone;
  zone.push_back(probe(0, "eu-1b", "eu-1a"));
  zone.push_back(probe(4 * kSec, "eu-1a", "eu-1b"));
  zone_fails("eu-1b", zone);
  zone.push_back(alert(
      70 * kSec, R"("alertname":"HighErrorRate","service":"tax","node":"ip-9","cluster":"prod")"));
  const auto elsewhere = placed(30 * kSec, "HighErrorRate", "wiki", "eu-1a", "ip-20");
  run();
  EXPECT_EQ(incidents_of(zone).size(), 1u);
  EXPECT_NE(rec_.final_incident(elsewhere), rec_.final_incident(zone[0]));
}

// The probes often fire first, before any alert has said which zones exist: they could not be
// placed in a zone when they arrived, and are absorbed once the burst shows which zone fails.
TEST_F(CorrelatorTest, AZoneBurstAbsorbsProbesThatFiredBeforeAnyZoneWasKnown) {
  std::vector<std::uint64_t> zone;
  zone.push_back(probe(0, "eu-1b", "eu-1a"));
  zone.push_back(probe(4 * kSec, "eu-1b", "eu-1c"));
  zone_fails("eu-1b", zone);
  const auto elsewhere = placed(30 * kSec, "HighErrorRate", "wiki", "eu-1a", "ip-20");
  run();
  EXPECT_EQ(incidents_of(zone).size(), 1u);
  EXPECT_NE(rec_.final_incident(elsewhere), rec_.final_incident(zone[0]));
}

// A blackbox probe's instance is its target. Another zone's prober failing to reach the same
// target, while the first zone's partition is still open, is another fault, not the same pod.
// A service whose alert names a node of unknown zone opens an incident of its own; another
// service's alert then tells the node's zone, and the burst of that zone absorbs it.
TEST_F(CorrelatorTest, AZoneBurstAbsorbsAFragmentWhoseNodesZoneWasLearnedLater) {
  std::vector<std::uint64_t> zone;
  zone.push_back(alert(0, R"("alertname":"UpstreamConnectFailures","service":"wiki",)"
                          R"("node":"ip-9","cluster":"prod")"));
  zone.push_back(placed(5 * kSec, "HighErrorRate", "maps", "eu-1b", "ip-9"));
  zone_fails("eu-1b", zone);
  run();
  EXPECT_EQ(incidents_of(zone).size(), 1u);
}

TEST_F(CorrelatorTest, AProbeOfTheSameTargetFromAnotherZoneIsAnotherFault) {
  for (const char* z : {"eu-1a", "eu-1b", "eu-1c"})
    alert(-20 * kMin, R"("alertname":"Cert","service":"vault","cluster":"prod","zone":")" +
                          std::string(z) + "\"");
  std::vector<std::uint64_t> first;
  first.push_back(probe(0, "eu-1b", "eu-1a"));
  first.push_back(probe(2 * kSec, "eu-1b", "eu-1c"));
  zone_fails("eu-1b", first);
  const auto second = probe(2 * kMin, "eu-1c", "eu-1a");
  run();
  EXPECT_EQ(incidents_of(first).size(), 1u);
  EXPECT_NE(rec_.final_incident(second), rec_.final_incident(first[0]));
}

// The same number of unrelated services failing at once, spread over the zones as services are:
// no zone is failing, and `zone` alone links nothing.
TEST_F(CorrelatorTest, FailuresSpreadOverZonesAreNoZoneBurst) {
  std::vector<std::uint64_t> seqs;
  const char* services[] = {"search", "billing", "media", "ledger", "quotes", "tax"};
  for (int i = 0; i < 6; ++i)
    seqs.push_back(placed(i * 5 * kSec, "HighErrorRate", services[i],
                          std::string("eu-1") + static_cast<char>('a' + i % 3),
                          "ip-" + std::to_string(i)));
  run();
  EXPECT_EQ(incidents_of(seqs).size(), 6u);
}

// A node failure fails several services in the node's zone, but one node explains them: an
// unrelated alert elsewhere in that zone at the same time stays out of its incident.
TEST_F(CorrelatorTest, OneNodesFailureIsNotItsZonesBurst) {
  std::vector<std::uint64_t> node;
  node.push_back(
      alert(0, R"("alertname":"NodeDown","node":"ip-1","zone":"eu-1b","cluster":"prod")"));
  const char* services[] = {"search", "billing", "media", "ledger", "quotes"};
  for (int i = 0; i < 5; ++i)
    node.push_back(placed((5 + 5 * i) * kSec, "PodNotReady", services[i], "eu-1b", "ip-1"));
  const auto other = placed(20 * kSec, "HighErrorRate", "wiki", "eu-1b", "ip-7");
  run();
  EXPECT_EQ(incidents_of(node).size(), 1u);
  EXPECT_NE(rec_.final_incident(other), rec_.final_incident(node[0]));
}

TEST_F(CorrelatorTest, FlappingAlertDoesNotOpenAnIncidentPerFlap) {
  std::vector<std::uint64_t> seqs;
  for (int i = 0; i < 6; ++i) {
    seqs.push_back(alert(i * 2 * kMin, R"("alertname":"DiskSpaceLow","node":"ip-1")", "firing"));
    seqs.push_back(
        alert(i * 2 * kMin + kMin, R"("alertname":"DiskSpaceLow","node":"ip-1")", "resolved"));
  }
  run();
  EXPECT_EQ(incidents_of(seqs).size(), 1u);
  EXPECT_GE(stats_.flaps, 4u);
}

// An alert firing again long after it resolved (longer than resolve_grace: alone, its incident
// would have closed) while its incident stays open for another member's sake starts a new episode,
// linked afresh; back sooner, or once it has flapped, it is the same episode.
TEST_F(CorrelatorTest, AnAlertFiringAgainLongAfterItResolvedIsLinkedAfresh) {
  const std::string errors =
      R"("alertname":"HighErrorRate","service":"checkout","pod":"checkout-1")";
  const std::string latency =
      R"("alertname":"HighLatency","service":"checkout","pod":"checkout-1")";
  // Latency keeps firing for 30 minutes, which keeps the incident open.
  for (int i = 0; i <= 30; ++i) alert(i * kMin, latency);
  const auto first = alert(10 * kSec, errors);
  alert(10 * kMin, errors, "resolved");
  const auto again = alert(21 * kMin, errors);  // 11 minutes after it resolved
  // The same, back within the grace: a flap.
  const std::string disk = R"("alertname":"DiskWillFill","service":"billing","pod":"billing-2")";
  const std::string cpu = R"("alertname":"CPUThrottling","service":"billing","pod":"billing-2")";
  for (int i = 0; i <= 30; ++i) alert(2 * kHour + i * kMin, cpu);
  const auto disk_first = alert(2 * kHour + 10 * kSec, disk);
  alert(2 * kHour + 10 * kMin, disk, "resolved");
  const auto disk_back = alert(2 * kHour + 13 * kMin, disk);  // 3 minutes later
  alert(2 * kHour + 14 * kMin, disk, "resolved");
  const auto disk_flapper = alert(2 * kHour + 25 * kMin, disk);  // 11 minutes, a flapper now
  // Fed in event-time order.
  auto ts_of = [&](std::size_t i) {
    const std::string& l = lines_[i];
    const auto at = l.find("\"ts\":") + 5;
    return std::stoll(l.substr(at, l.find(',', at) - at));
  };
  std::vector<std::size_t> order(lines_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t x, std::size_t y) { return ts_of(x) < ts_of(y); });
  run(order);
  EXPECT_NE(rec_.final_incident(first), rec_.final_incident(again));
  EXPECT_EQ(rec_.final_incident(disk_first), rec_.final_incident(disk_back));
  EXPECT_EQ(rec_.final_incident(disk_first), rec_.final_incident(disk_flapper));
}

TEST_F(CorrelatorTest, OutOfOrderWithinLatenessGivesTheSameResult) {
  topology({{"frontend", {"checkout"}}, {"checkout", {"db"}}, {"db", {}}});
  config_.allowed_lateness_ms = 30 * kSec;
  alert(0, R"("alertname":"DBDown","service":"db")");
  alert(10 * kSec, R"("alertname":"Errors","service":"checkout")");
  alert(20 * kSec, R"("alertname":"Errors","service":"frontend")");
  alert(25 * kSec, R"("alertname":"DiskSpaceLow","node":"ip-9")");
  alert(30 * kSec, R"("alertname":"Latency","service":"checkout")");
  alert(40 * kSec, R"("alertname":"Errors","service":"search")");
  run();
  const auto in_order = rec_.incident_of;
  const auto merges = rec_.merged_into;
  rec_ = Recorder{};
  run({1, 0, 3, 2, 5, 4});  // each swap within 30 s
  EXPECT_EQ(rec_.incident_of, in_order);
  EXPECT_EQ(rec_.merged_into, merges);
}

// A value held by one incident is kept compactly up to 255 of its members; past that it must
// still be counted right, or the value outlives its incident and a later incident reusing the
// slot seems to hold it.
TEST_F(CorrelatorTest, AValueHeldByHundredsOfMembersIsReleasedWithThem) {
  for (int i = 0; i < 300; ++i)
    alert(i * 100, "\"alertname\":\"A" + std::to_string(i) + R"(","pod":"db-0","service":"db")");
  for (int i = 0; i < 300; ++i)
    alert(kMin + i * 100,
          "\"alertname\":\"A" + std::to_string(i) + R"(","pod":"db-0","service":"db")", "resolved");
  const auto web = alert(20 * kMin, R"("alertname":"HighLatency","service":"web")");
  const auto pod = alert(20 * kMin + kSec, R"("alertname":"PodNotReady","pod":"db-0")");
  run();
  EXPECT_EQ(rec_.closed(), 3u);
  EXPECT_NE(rec_.final_incident(pod), rec_.final_incident(web));
  EXPECT_EQ(members_left_, 0u);
}

TEST_F(CorrelatorTest, ClosesAfterQuietPeriodAndReleasesMembers) {
  config_.quiet_period_ms = 5 * kMin;
  const auto first = alert(0, R"("alertname":"A","service":"s1")");
  // Same fingerprint after the incident closed: a new incident.
  const auto later = alert(20 * kMin, R"("alertname":"A","service":"s1")");
  run();
  EXPECT_NE(rec_.final_incident(first), rec_.final_incident(later));
  EXPECT_EQ(rec_.closed(), 2u);
  EXPECT_EQ(members_left_, 0u);
  EXPECT_EQ(open_left_, 0u);
}

// Prometheus re-sends a firing alert every minute with its original startsAt and an endsAt a few
// minutes ahead; a live server moves event time on with the wall clock. The re-sends prove the
// alert still fires, so the incident stays open past the quiet period; a plain repeat of an old
// timestamp does not.
TEST_F(CorrelatorTest, AFiringResendWithEndsAtAheadKeepsItsIncidentOpen) {
  config_.quiet_period_ms = 5 * kMin;
  config_.allowed_lateness_ms = 0;
  parse::Parser parser(interner_);
  for (const bool ends_ahead : {true, false}) {
    Recorder rec;
    Correlator c(config_, topo_, interner_, rec);
    std::uint64_t seq = 0;
    auto send = [&](std::int64_t now) {
      // What Prometheus posts to /api/v2/alerts.
      std::string body = R"([{"labels":{"alertname":"DiskFull","service":"db"},"startsAt":")" +
                         core::format_rfc3339_ms(kT0) + "\"";
      if (ends_ahead)
        body += R"(,"endsAt":")" + core::format_rfc3339_ms(kT0 + now + 4 * kMin) + "\"";
      body += "}]";
      batch_.clear();
      (void)parser.parse_alertmanager_v2(body, batch_, kT0 + now);
      ASSERT_EQ(batch_.size(), 1u);
      c.add(batch_, batch_.alerts[0], seq++);
    };
    for (std::int64_t minute = 0; minute <= 20; ++minute) {
      c.advance_to(kT0 + minute * kMin);  // the wall-clock tick
      send(minute * kMin);
    }
    if (ends_ahead) {
      EXPECT_EQ(rec.closed(), 0u);
      EXPECT_EQ(c.open_incidents(), 1u);
    } else {
      EXPECT_GE(rec.closed(), 1u);  // closed a quiet period after its old startsAt
    }
  }
}

TEST_F(CorrelatorTest, ResolvedIncidentClosesAfterGrace) {
  config_.quiet_period_ms = 30 * kMin;
  config_.resolve_grace_ms = 1 * kMin;
  const auto a = alert(0, R"("alertname":"A","service":"s1")");
  alert(kMin, R"("alertname":"A","service":"s1")", "resolved");
  // 3 minutes later: past the grace, long before the quiet period.
  const auto b = alert(4 * kMin, R"("alertname":"A","service":"s1")");
  run();
  EXPECT_NE(rec_.final_incident(a), rec_.final_incident(b));
}

// Prometheus re-sends a resolved alert every resend interval for 15 minutes; its incident closed
// resolve_grace after the last member resolved. The re-sends belong to that incident (which stays
// closed), not to a new incident of resolved alerts only.
TEST_F(CorrelatorTest, ResolvedResendsAfterTheCloseStayWithTheClosedIncident) {
  config_.resolve_grace_ms = 5 * kMin;
  config_.quiet_period_ms = 10 * kMin;
  const char* api = R"("alertname":"HighErrorRate","service":"api")";
  const char* db = R"("alertname":"HighLatency","service":"api")";
  const auto a = alert(0, api);
  const auto d = alert(10 * kSec, db);
  alert(kMin, api, "resolved");
  alert(kMin, db, "resolved");
  std::vector<std::uint64_t> resends;
  // The re-sends keep it updated past the grace: the quiet period closes it, 10 min after its
  // last firing alert (10:10); they go on until 16 min.
  for (int m = 2; m <= 16; ++m) {
    resends.push_back(alert(m * kMin, api, "resolved"));
    resends.push_back(alert(m * kMin + kSec, db, "resolved"));
  }
  run();
  for (auto s : resends) EXPECT_EQ(rec_.final_incident(s), rec_.final_incident(a)) << s;
  EXPECT_EQ(rec_.final_incident(d), rec_.final_incident(a));
  EXPECT_EQ(all_incidents().size(), 1u);
  EXPECT_EQ(stats_.opened, 1u);
  EXPECT_EQ(rec_.closed(), 1u);
  EXPECT_EQ(stats_.after_close, 12u);  // those from 11 min on: the incident had closed
  EXPECT_EQ(rec_.after_close.size(), 12u);
}

// What is not a re-send of a closed incident's alert still opens an incident: a fingerprint firing
// again (a new episode), a resolved alert past closed_memory_ms, and one whose fingerprint was
// forgotten because closed_memory_max newer ones came after it.
TEST_F(CorrelatorTest, AfterTheCloseFiringAgainOrPastTheMemoryIsNew) {
  config_.resolve_grace_ms = 1 * kMin;
  config_.closed_memory_ms = 20 * kMin;
  config_.closed_memory_max = 2;
  const char* api = R"("alertname":"HighErrorRate","service":"api")";
  const auto a = alert(0, api);
  alert(kMin, api, "resolved");                         // closes at 2 min
  const auto again = alert(5 * kMin, api);              // fires again: a new incident
  alert(6 * kMin, api, "resolved");                     // its member: closes at 7 min
  const auto late = alert(30 * kMin, api, "resolved");  // past 7 + 20 min: forgotten
  // Three incidents closing in turn: the first one's fingerprint is pushed out of a memory of 2.
  std::vector<std::uint64_t> firsts;
  for (int i = 0; i < 3; ++i) {
    const std::string labels = R"("alertname":"Disk","node":"ip-)" + std::to_string(i) + "\"";
    firsts.push_back(alert((40 + 10 * i) * kMin, labels));
    alert((41 + 10 * i) * kMin, labels, "resolved");
  }
  const auto evicted = alert(71 * kMin, R"("alertname":"Disk","node":"ip-0")", "resolved");
  const auto kept = alert(71 * kMin, R"("alertname":"Disk","node":"ip-2")", "resolved");
  run();
  EXPECT_NE(rec_.final_incident(again), rec_.final_incident(a));
  EXPECT_NE(rec_.final_incident(late), rec_.final_incident(again));
  EXPECT_NE(rec_.final_incident(late), rec_.final_incident(a));
  EXPECT_NE(rec_.final_incident(evicted), rec_.final_incident(firsts[0]));
  EXPECT_EQ(rec_.final_incident(kept), rec_.final_incident(firsts[2]));
  EXPECT_EQ(stats_.after_close, 1u);
}

TEST_F(CorrelatorTest, AFlappingIncidentWaitsForItsQuietPeriodNotTheResolveGrace) {
  config_.quiet_period_ms = 10 * kMin;
  config_.resolve_grace_ms = 2 * kMin;
  const char* disk = R"("alertname":"DiskSpaceLow","node":"ip-1")";
  const auto a = alert(0, disk);
  alert(kMin, disk, "resolved");
  alert(2 * kMin, disk);  // a flap: back within the grace
  alert(3 * kMin, disk, "resolved");
  // Off for 6 minutes, longer than the grace: a flapper's "resolved" does not close it.
  const auto b = alert(9 * kMin, disk);
  // A plain alert that resolved once still closes after the grace.
  const auto c = alert(30 * kMin, R"("alertname":"A","service":"s1")");
  alert(31 * kMin, R"("alertname":"A","service":"s1")", "resolved");
  const auto d = alert(36 * kMin, R"("alertname":"A","service":"s1")");
  run();
  EXPECT_EQ(rec_.final_incident(a), rec_.final_incident(b));
  EXPECT_NE(rec_.final_incident(c), rec_.final_incident(d));
}

TEST_F(CorrelatorTest, PodOnlyAlertsFindTheirServiceByPodName) {
  // kube-state-metrics style: a pod name and no service label.
  std::vector<std::uint64_t> seqs;
  seqs.push_back(alert(0, R"("alertname":"HighErrorRate","service":"checkout")"));
  seqs.push_back(
      alert(20 * kSec, R"("alertname":"PodCrashLooping","pod":"checkout-7f9c4d-x2l9q")"));
  run();
  EXPECT_EQ(incidents_of(seqs).size(), 1u);
}

TEST_F(CorrelatorTest, UnderstandsOtherLabelHabits) {
  // Kubernetes SD style: `app` for the service, `kubernetes_node` for the node.
  std::vector<std::uint64_t> seqs;
  seqs.push_back(alert(0, R"("alertname":"NodeNotReady","kubernetes_node":"worker-3")"));
  seqs.push_back(alert(
      15 * kSec, R"("alertname":"PodNotReady","app":"checkout","kubernetes_node":"worker-3")"));
  seqs.push_back(
      alert(20 * kSec, R"("alertname":"PodNotReady","app":"search","kubernetes_node":"worker-3")"));
  seqs.push_back(alert(40 * kSec, R"("alertname":"HighErrorRate","app":"checkout")"));
  // Prometheus' kubernetes-service-endpoints example config: `kubernetes_name` for the Service.
  seqs.push_back(
      alert(50 * kSec, R"("alertname":"ServiceErrorRateHigh","kubernetes_name":"checkout")"));
  const auto other = alert(
      45 * kSec, R"("alertname":"HighErrorRate","app":"billing","kubernetes_node":"worker-9")");
  run();
  EXPECT_EQ(incidents_of(seqs).size(), 1u);
  EXPECT_NE(rec_.final_incident(other), rec_.final_incident(seqs[0]));
}

// Exporters and probes name what they watch in their own ways: an exporter's Service or job is
// <service>-metrics / <service>-exporter, a blackbox probe's instance is the service's cluster DNS
// name, node-exporter's instance is often the node's own name. A public host name is an endpoint,
// not a service.
TEST_F(CorrelatorTest, ExportersProbesAndNodeExportersNameWhatTheyWatch) {
  topology({{"front-end", {"user-db"}}, {"user-db", {}}, {"billing", {}}});
  const auto db = alert(0, R"("alertname":"HighLatency","service":"user-db")");
  const auto exporter = alert(
      10 * kSec, R"("alertname":"MongodbDown","service":"user-db-metrics","job":"mongo-exporter")");
  const auto by_job =
      alert(12 * kSec, R"("alertname":"MongodbSlowQueries","job":"prometheus-user-db-exporter")");
  const auto billing = alert(kHour, R"("alertname":"HighErrorRate","service":"billing")");
  const auto probe = alert(
      kHour + 20 * kSec,
      R"("alertname":"ProbeFailed","instance":"http://billing.pay.svc.cluster.local:80/health","job":"blackbox")");
  const auto cert = alert(
      kHour + 30 * kSec,
      R"("alertname":"CertificateExpiringSoon","instance":"billing.example.com:443","job":"blackbox")");
  const auto node = alert(2 * kHour, R"("alertname":"NodeDiskPressure","node":"worker-1")");
  const auto host =
      alert(2 * kHour + 20 * kSec,
            R"("alertname":"HostDown","instance":"worker-1:9100","job":"node-exporter")");
  const auto other_host =
      alert(2 * kHour + 25 * kSec,
            R"("alertname":"HostDown","instance":"worker-7:9100","job":"node-exporter")");
  // node-exporter's target names its node before any node label did (kube-prometheus relabels
  // `instance` to the node's name; port 9100 is node-exporter's).
  const auto first_word = alert(
      3 * kHour, R"("alertname":"NodeExporterDown","instance":"worker-9","job":"node-exporter")");
  const auto not_ready =
      alert(3 * kHour + 40 * kSec, R"("alertname":"KubeNodeNotReady","node":"worker-9")");
  const auto by_port = alert(4 * kHour, R"("alertname":"HostDown","instance":"worker-12:9100")");
  const auto unreachable =
      alert(4 * kHour + 40 * kSec, R"("alertname":"KubeNodeUnreachable","node":"worker-12")");
  run();
  EXPECT_EQ(rec_.final_incident(first_word), rec_.final_incident(not_ready));
  EXPECT_EQ(rec_.final_incident(by_port), rec_.final_incident(unreachable));
  EXPECT_EQ(rec_.final_incident(exporter), rec_.final_incident(db));
  EXPECT_EQ(rec_.final_incident(by_job), rec_.final_incident(db));
  EXPECT_EQ(rec_.final_incident(probe), rec_.final_incident(billing));
  EXPECT_NE(rec_.final_incident(cert), rec_.final_incident(billing));
  EXPECT_EQ(rec_.final_incident(host), rec_.final_incident(node));
  EXPECT_NE(rec_.final_incident(other_host), rec_.final_incident(node));
}

// OpenTelemetry's Kubernetes attributes, as its Prometheus exporter writes them (k8s.node.name ->
// k8s_node_name): the node, pod, cluster and workload roles read them too.
TEST_F(CorrelatorTest, UnderstandsOpenTelemetryKubernetesAttributes) {
  topology({{"checkout", {}}, {"search", {}}});
  std::vector<std::uint64_t> seqs;
  seqs.push_back(alert(
      0, R"("alertname":"NodeNotReady","k8s_node_name":"worker-3","k8s_cluster_name":"prod")"));
  seqs.push_back(alert(15 * kSec, R"("alertname":"PodCrashLooping","k8s_pod_name":"cart-7f9c-x2x",)"
                                  R"("k8s_deployment_name":"checkout","k8s_node_name":"worker-3",)"
                                  R"("k8s_cluster_name":"prod")"));
  seqs.push_back(alert(20 * kSec, R"("alertname":"PodCrashLooping","k8s_pod_name":"search-0",)"
                                  R"("k8s_statefulset_name":"search","k8s_node_name":"worker-3",)"
                                  R"("k8s_cluster_name":"prod")"));
  // The deployment named the pod's service: the service's own alert joins by it.
  seqs.push_back(alert(40 * kSec, R"("alertname":"HighErrorRate","service":"checkout",)"
                                  R"("k8s_cluster_name":"prod")"));
  // The same service in another cluster is another fault.
  const auto staging = alert(30 * kSec, R"("alertname":"HighErrorRate","service":"checkout",)"
                                        R"("k8s_cluster_name":"staging")");
  run({0, 1, 2, 4, 3});
  EXPECT_EQ(incidents_of(seqs).size(), 1u);
  EXPECT_NE(rec_.final_incident(staging), rec_.final_incident(seqs[0]));
}

// A shared exporter's alert may name its target only in its text (mongodb-exporter's
// MongodbDown{instance="10.244.6.167:9216"}: "config-mongo is down"): it is about that service. A
// public endpoint's probe names the site in its text as in its instance: no service for it.
TEST_F(CorrelatorTest, AnAlertNamingItsServiceOnlyInItsTextIsAboutIt) {
  topology({{"config", {"config-mongo"}}, {"config-mongo", {}}, {"billing", {}}});
  const auto caller = alert(0, R"("alertname":"High5xxRate","service":"config")");
  const auto db = alert_with_summary(
      5 * kSec,
      R"("alertname":"MongodbDown","instance":"10.244.6.167:9216","job":"mongo-exporter")",
      "config-mongo is down");
  const auto billing = alert(kHour, R"("alertname":"HighErrorRate","service":"billing")");
  const auto cert = alert_with_summary(
      kHour + 30 * kSec,
      R"("alertname":"CertificateExpiringSoon","instance":"billing.example.com:443","job":"blackbox")",
      "billing: TLS certificate expires in 9 days");
  run();
  EXPECT_EQ(rec_.final_incident(db), rec_.final_incident(caller));
  EXPECT_NE(rec_.final_incident(cert), rec_.final_incident(billing));
}

// Istio's metrics name the client in source_workload and the server in destination_workload; a
// server-side alert carries only the destination, and is about it.
TEST_F(CorrelatorTest, UnderstandsMeshLabels) {
  topology({{"frontend", {"cart"}}});
  const auto front = alert(0, R"("alertname":"HighLatency","service":"frontend")");
  const auto edge = alert(
      20 * kSec,
      R"("alertname":"RequestErrors","source_workload":"frontend","destination_workload":"db")");
  const auto server =
      alert(40 * kSec, R"("alertname":"RequestErrors","destination_workload":"cart")");
  run();
  // The edge alert is frontend's (same service); the server-side one is cart's, which frontend
  // calls: a likely cause, so it joins through the topology.
  EXPECT_EQ(rec_.final_incident(edge), rec_.final_incident(front));
  EXPECT_EQ(rec_.final_incident(server), rec_.final_incident(front));
}

// cAdvisor's series carry the scrape target's Service (service="kubelet") beside the workload's
// pod: a service label equal to the alert's job, or seen with pods of two workloads, names no
// failing service; the pod does.
TEST_F(CorrelatorTest, AScrapeTargetsServiceLabelYieldsToThePodsWorkload) {
  const auto cart = alert(0, R"("alertname":"HighErrorRate","service":"cart")");
  const auto search = alert(0, R"("alertname":"HighErrorRate","service":"search")");
  const auto cart_pod = alert(
      10 * kSec, R"("alertname":"ContainerMemoryHigh","service":"kubelet","pod":"cart-7d9f-x1")");
  // The second workload under "kubelet": from here on the pod names the service.
  const auto search_pod = alert(
      12 * kSec, R"("alertname":"ContainerMemoryHigh","service":"kubelet","pod":"search-5c8-x2")");
  // With the scrape job's name beside it the label is known for the target's at once.
  const auto in_job = alert(
      5 * kSec,
      R"("alertname":"ContainerCpuHigh","service":"kubelet","job":"kubelet","pod":"cart-7d9f-x3")");
  // cart-7d9f-x1's first alert came before "kubelet" was known for a scrape target: what its pod
  // was learned to be then does not stick, for its next kubelet alert nor for a pod-only one.
  const auto again = alert(
      14 * kSec, R"("alertname":"ContainerCpuHigh","service":"kubelet","pod":"cart-7d9f-x1")");
  const auto ksm = alert(16 * kSec, R"("alertname":"KubePodNotReady","pod":"cart-7d9f-x1")");
  run();
  EXPECT_EQ(rec_.final_incident(search_pod), rec_.final_incident(search));
  EXPECT_NE(rec_.final_incident(search_pod), rec_.final_incident(cart_pod));
  EXPECT_EQ(rec_.final_incident(in_job), rec_.final_incident(cart));
  EXPECT_NE(rec_.final_incident(again), rec_.final_incident(search));
  EXPECT_NE(rec_.final_incident(ksm), rec_.final_incident(search));
  EXPECT_NE(rec_.final_incident(cart), rec_.final_incident(search));
}

// kube-state-metrics reports every pod of the cluster under its own address: an `instance` seen
// with two different pods is the exporter's, not the failing thing's, and links nothing; nor does
// one scraped by a `job` named for kube-state-metrics, from the first alert on.
TEST_F(CorrelatorTest, AnExportersInstanceSharedByManyPodsIsNoIdentity) {
  const char* ksm = R"(,"job":"kube-state-metrics","instance":"10.1.0.17:8080")";
  const auto a =
      alert(0, std::string(R"("alertname":"KubePodNotReady","pod":"cart-7d9f-x1")") + ksm);
  const auto b = alert(
      20 * kSec, std::string(R"("alertname":"KubePodOOMKilled","pod":"search-5c2a-k9")") + ksm);
  const auto c =
      alert(40 * kSec, std::string(R"("alertname":"KubeContainerWaiting","pod":"ledger-0")") + ksm);
  // An instance that names one thing still does: a blackbox probe of this pod's address.
  const auto web =
      alert(60 * kSec, R"("alertname":"HighLatency","service":"web","instance":"10.2.0.5:8080")");
  const auto probe = alert(70 * kSec, R"("alertname":"ProbeFailed","instance":"10.2.0.5:8080")");
  // kube-state-metrics' address is known for what it is from its first alert: a failed job it
  // reports (nothing but the address to link by) and the next pod it reports are apart.
  const char* ksm2 = R"(,"job":"kube-state-metrics","instance":"10.1.0.99:8080")";
  const auto job = alert(
      90 * kSec, std::string(R"("alertname":"KubeJobFailed","job_name":"nightly-report")") + ksm2);
  const auto pod = alert(
      95 * kSec, std::string(R"("alertname":"KubePodCrashLooping","pod":"tax-7f8c-z4")") + ksm2);
  run();
  EXPECT_EQ(incidents_of({a, b, c}).size(), 3u);
  EXPECT_EQ(rec_.final_incident(web), rec_.final_incident(probe));
  EXPECT_NE(rec_.final_incident(job), rec_.final_incident(pod));
}

// kube-state-metrics rollout alerts name the workload, not the service label.
TEST_F(CorrelatorTest, AWorkloadLabelNamesAKnownService) {
  const auto err = alert(0, R"("alertname":"HighErrorRate","service":"checkout")");
  const auto rollout =
      alert(30 * kSec, R"("alertname":"KubeDeploymentReplicasMismatch","deployment":"checkout")");
  const auto sts =
      alert(40 * kSec, R"("alertname":"KubeStatefulSetReplicasMismatch","statefulset":"search")");
  // Sock Shop labels its pods with `name`.
  const auto named = alert(50 * kSec, R"("alertname":"HighCpu","name":"checkout")");
  run();
  EXPECT_EQ(rec_.final_incident(err), rec_.final_incident(rollout));
  EXPECT_EQ(rec_.final_incident(err), rec_.final_incident(named));
  EXPECT_NE(rec_.final_incident(err), rec_.final_incident(sts));  // never seen: not a service
}

TEST_F(CorrelatorTest, ConfiguredRoleLabelReplacesTheDefaults) {
  config_.role_labels[static_cast<std::size_t>(core::Role::kService)] = {"svc"};
  std::vector<std::uint64_t> seqs;
  seqs.push_back(alert(0, R"("alertname":"A","svc":"checkout")"));
  seqs.push_back(alert(10 * kSec, R"("alertname":"B","svc":"checkout")"));
  // `service` is no longer a role label: these two share nothing the correlator reads.
  const auto x = alert(20 * kSec, R"("alertname":"C","service":"ledger")");
  const auto y = alert(25 * kSec, R"("alertname":"D","service":"ledger")");
  run();
  EXPECT_EQ(incidents_of(seqs).size(), 1u);
  EXPECT_NE(rec_.final_incident(x), rec_.final_incident(y));
}

TEST_F(CorrelatorTest, AlertsNamingTheUpstreamTheyFailToReachGroupWithoutTopology) {
  // No topology file: the `upstream` label is the only link between these services.
  std::vector<std::uint64_t> seqs;
  seqs.push_back(alert(0, R"("alertname":"ConnectionRefused","service":"db-orders")"));
  seqs.push_back(alert(
      20 * kSec, R"("alertname":"UpstreamErrors","service":"orders","upstream":"db-orders")"));
  seqs.push_back(alert(
      30 * kSec,
      R"("alertname":"UpstreamErrors","service":"billing","destination_service":"db-orders")"));
  const auto other =
      alert(35 * kSec, R"("alertname":"UpstreamErrors","service":"search","upstream":"elastic")");
  run();
  EXPECT_EQ(incidents_of(seqs).size(), 1u);
  EXPECT_NE(rec_.final_incident(other), rec_.final_incident(seqs[0]));
}

// A caller's first alerts (error rate, latency) name no upstream and open an incident of their
// own; its later alert naming the failing upstream shows both are one fault, so they merge.
TEST_F(CorrelatorTest, ACallersIncidentMergesIntoTheUpstreamItNamesWithoutTopology) {
  std::vector<std::uint64_t> seqs;
  seqs.push_back(alert(0, R"("alertname":"HighErrorRate","service":"accounts")"));
  seqs.push_back(alert(30 * kSec, R"("alertname":"HighErrorRate","service":"web-bff")"));
  seqs.push_back(alert(35 * kSec, R"("alertname":"HighLatency","service":"web-bff")"));
  seqs.push_back(
      alert(50 * kSec,
            R"("alertname":"UpstreamConnectFailures","service":"web-bff","upstream":"accounts")"));
  run();
  EXPECT_EQ(incidents_of(seqs).size(), 1u);
  EXPECT_EQ(stats_.merged, 1u);
}

// What the merge must not take: a caller that failed before its upstream did (its own fault), and
// an incident holding more than the caller's alerts (here a node's), whose cause is elsewhere.
TEST_F(CorrelatorTest, ACallersIncidentWithACauseOfItsOwnDoesNotMergeIntoItsUpstream) {
  const auto early = alert(0, R"("alertname":"HighErrorRate","service":"cart")");
  alert(2 * kMin, R"("alertname":"HighLatency","service":"cart")");
  const auto up = alert(150 * kSec, R"("alertname":"HighErrorRate","service":"pricing")");
  alert(160 * kSec,
        R"("alertname":"UpstreamConnectFailures","service":"cart","upstream":"pricing")");
  const auto node = alert(3 * kMin, R"("alertname":"NodeDiskPressure","node":"ip-9")");
  const auto web =
      alert(3 * kMin + 5 * kSec, R"("alertname":"HighLatency","service":"web","node":"ip-9")");
  alert(3 * kMin + 30 * kSec,
        R"("alertname":"UpstreamConnectFailures","service":"web","upstream":"pricing")");
  // A caller deployed just before it failed: its own change explains it.
  alert(170 * kSec, R"("alertname":"Deploy","service":"search","change_type":"deploy")", "firing",
        "change");
  const auto search = alert(3 * kMin, R"("alertname":"HighErrorRate","service":"search")");
  alert(3 * kMin + 20 * kSec,
        R"("alertname":"UpstreamConnectFailures","service":"search","upstream":"pricing")");
  run();
  EXPECT_NE(rec_.final_incident(early), rec_.final_incident(up));
  EXPECT_EQ(rec_.final_incident(node), rec_.final_incident(web));
  EXPECT_NE(rec_.final_incident(web), rec_.final_incident(up));
  EXPECT_NE(rec_.final_incident(search), rec_.final_incident(up));
  EXPECT_EQ(stats_.merged, 0u);
}

TEST_F(CorrelatorTest, PodAlertsWithoutANodeFindItFromTheirEarlierAlerts) {
  // The pods were seen on their node before (readiness alerts); when the node fails,
  // kube-state-metrics reports them with no node label at all.
  alert(0, R"("alertname":"Readiness","pod":"web-5d8f7-abcde","node":"ip-1")", "resolved");
  alert(0, R"("alertname":"Readiness","pod":"cart-5d8f7-fghij","node":"ip-1")", "resolved");
  std::vector<std::uint64_t> seqs;
  seqs.push_back(alert(10 * kMin, R"("alertname":"NodeDown","node":"ip-1")"));
  seqs.push_back(
      alert(10 * kMin + 30 * kSec, R"("alertname":"KubePodNotReady","pod":"web-5d8f7-abcde")"));
  seqs.push_back(
      alert(10 * kMin + 40 * kSec, R"("alertname":"KubePodNotReady","pod":"cart-5d8f7-fghij")"));
  run();
  EXPECT_EQ(incidents_of(seqs).size(), 1u);
}

// Pods never seen with a node before: when a node goes down (two node-level alertnames), the
// kube-state-metrics alerts of pods of different services starting within hop_delay after it
// are its pods. One going NotReady long after, or while two nodes of the cluster are down (which
// one?), is not placed by timing.
TEST_F(CorrelatorTest, PodOnlyAlertsJustAfterTheOneNodeGoingDownJoinIt) {
  auto node_down = [&](std::int64_t t, std::string_view node) {
    const std::string n(node);
    std::vector<std::uint64_t> seqs;
    seqs.push_back(alert(t, R"("alertname":"NodeDown","cluster":"prod","node":")" + n + "\""));
    seqs.push_back(alert(t + 5 * kSec,
                         R"("alertname":"KubeletNotReady","cluster":"prod","node":")" + n + "\""));
    return seqs;
  };
  auto pod_not_ready = [&](std::int64_t t, std::string_view pod) {
    return alert(t, R"("alertname":"KubePodNotReady","cluster":"prod","namespace":"shop","pod":")" +
                        std::string(pod) + "\"");
  };
  std::vector<std::uint64_t> down = node_down(0, "ip-1");
  down.push_back(pod_not_ready(40 * kSec, "web-5d8f7-abcde"));
  down.push_back(pod_not_ready(55 * kSec, "cart-7c9b1-fghij"));
  down.push_back(pod_not_ready(80 * kSec, "ledger-0"));
  const auto long_after = pod_not_ready(12 * kMin, "media-6f4d2-klmno");
  // Two nodes down at once in another cluster's window: a pod there stays alone.
  std::vector<std::uint64_t> first = node_down(20 * kMin, "ip-7");
  std::vector<std::uint64_t> second = node_down(20 * kMin + 10 * kSec, "ip-8");
  const auto ambiguous = pod_not_ready(20 * kMin + 50 * kSec, "search-5b7d9-pqrst");
  run();
  EXPECT_EQ(incidents_of(down).size(), 1u);
  EXPECT_FALSE(incidents_of(down).contains(rec_.final_incident(long_after)));
  EXPECT_FALSE(incidents_of(first).contains(rec_.final_incident(ambiguous)));
  EXPECT_FALSE(incidents_of(second).contains(rec_.final_incident(ambiguous)));
}

// A service's TargetDown (a share of its targets down, no node or pod named) just after the one
// node of its cluster went down: its pods were there. Its latency at that time names no such
// thing, and a TargetDown long after is another matter.
TEST_F(CorrelatorTest, AServicesTargetsDownAsTheOneNodeGoesDownAreTheNodes) {
  std::vector<std::uint64_t> down;
  down.push_back(alert(0, R"("alertname":"NodeDown","cluster":"prod","node":"ip-1")"));
  down.push_back(
      alert(5 * kSec, R"("alertname":"KubeletNotReady","cluster":"prod","node":"ip-1")"));
  down.push_back(
      alert(40 * kSec, R"("alertname":"TargetDown","cluster":"prod","service":"payments")"));
  down.push_back(
      alert(70 * kSec, R"("alertname":"EndpointDown","cluster":"prod","service":"reviews")"));
  const auto latency =
      alert(45 * kSec, R"("alertname":"HighLatencyP99","cluster":"prod","service":"search")");
  const auto long_after =
      alert(12 * kMin, R"("alertname":"TargetDown","cluster":"prod","service":"media")");
  run({0, 1, 2, 4, 3, 5});
  EXPECT_EQ(incidents_of(down).size(), 1u);
  EXPECT_FALSE(incidents_of(down).contains(rec_.final_incident(latency)));
  EXPECT_FALSE(incidents_of(down).contains(rec_.final_incident(long_after)));
}

// Pod alerts that name their service (a scrape target down) but no node are their service's own
// business, even just after a node went down; unless pods of three services fail at once: what
// takes several workloads together is the node they shared.
TEST_F(CorrelatorTest, ServicePodsFailingTogetherAsANodeGoesDownAreItsPods) {
  // Each pod fails its own way (no one alertname: that would be a name burst of its own).
  const auto pod_down = [&](std::int64_t t, std::string_view service, std::string_view pod) {
    return alert(t, R"("alertname":")" + std::string(service) +
                        R"(Unavailable","cluster":"prod","service":")" + std::string(service) +
                        R"(","pod":")" + std::string(pod) + "\"");
  };
  std::vector<std::uint64_t> down;
  down.push_back(alert(0, R"("alertname":"NodeNotReady","cluster":"prod","node":"ip-1")"));
  down.push_back(
      alert(5 * kSec, R"("alertname":"NodeExporterDown","cluster":"prod","node":"ip-1")"));
  down.push_back(pod_down(40 * kSec, "web", "web-5d8f7-abcde"));
  down.push_back(pod_down(41 * kSec, "cart", "cart-7c9b1-fghij"));
  down.push_back(pod_down(42 * kSec, "ledger", "ledger-0"));
  const auto lone = pod_down(20 * kMin + 40 * kSec, "search", "search-0");
  const auto node2 =
      alert(20 * kMin, R"("alertname":"NodeNotReady","cluster":"prod","node":"ip-2")");
  alert(20 * kMin + 5 * kSec, R"("alertname":"NodeExporterDown","cluster":"prod","node":"ip-2")");
  run();
  // web and cart open incidents of their own; ledger completes the burst and joins the node, whose
  // incident then takes the burst's young incidents.
  EXPECT_EQ(incidents_of(down).size(), 1u);
  EXPECT_NE(rec_.final_incident(lone), rec_.final_incident(node2));
}

// Pods of several services failing within seconds of each other with no node known to be going
// down share a cause (their node's own alerts come later, or never): one incident. Alerts that
// name the upstream they fail to reach have that explanation instead and stay apart.
class PodBurstTest : public CorrelatorTest {
 protected:
  std::uint64_t pod_down(std::int64_t t, std::string_view service, std::string_view pod,
                         std::string_view upstream = {}, std::string_view cluster = "prod") {
    std::string labels = R"("alertname":"TargetDown","cluster":")" + std::string(cluster) +
                         R"(","service":")" + std::string(service) + R"(","pod":")" +
                         std::string(pod) + "\"";
    if (!upstream.empty()) labels += R"(,"upstream":")" + std::string(upstream) + "\"";
    return alert(t, labels);
  }
  std::vector<std::uint64_t> burst(std::int64_t t) {
    return {pod_down(t, "web", "web-5d8f7-abcde"),
            pod_down(t + 4 * kSec, "cart", "cart-7c9b1-fghij"),
            pod_down(t + 8 * kSec, "ledger", "ledger-0")};
  }
};

TEST_F(PodBurstTest, PodsOfSeveralServicesFailingAtOnceAreOneIncident) {
  const auto together = burst(0);
  const std::vector<std::uint64_t> named = {
      pod_down(30 * kMin, "search", "search-0", "db-a"),
      pod_down(30 * kMin + 4 * kSec, "media", "media-0", "db-b"),
      pod_down(30 * kMin + 8 * kSec, "quotes", "quotes-0", "db-c")};
  run();
  EXPECT_EQ(incidents_of(together).size(), 1u);
  EXPECT_EQ(incidents_of(named).size(), 3u);
}

TEST_F(PodBurstTest, ANodeGoingDownJustAfterTakesTheBurstsIncident) {
  const auto pods = burst(0);
  const auto node =
      alert(90 * kSec, R"("alertname":"NodeNotReady","cluster":"prod","node":"ip-1")");
  alert(95 * kSec, R"("alertname":"NodeExporterDown","cluster":"prod","node":"ip-1")");
  run();
  EXPECT_EQ(incidents_of(pods).size(), 1u);
  EXPECT_EQ(rec_.final_incident(pods[0]), rec_.final_incident(node));
}

// A StatefulSet's pod has the same name in every cluster: another cluster's incident holding it is
// no part of this cluster's burst.
TEST_F(PodBurstTest, ABurstStaysInItsCluster) {
  const auto elsewhere = pod_down(0, "ledger", "ledger-0", {}, "dr");
  const auto pods = burst(2 * kSec);
  run();
  EXPECT_EQ(incidents_of(pods).size(), 1u);
  EXPECT_NE(rec_.final_incident(elsewhere), rec_.final_incident(pods[0]));
}

// A rollout restarts its own pods: the deployed service's incident is not pulled into a burst.
TEST_F(PodBurstTest, AServiceJustDeployedKeepsItsIncident) {
  alert(-60 * kSec, R"("alertname":"Deploy","cluster":"prod","service":"web","deploy":"web@v2")",
        "firing", "change");
  const auto pods = burst(0);
  run();
  EXPECT_NE(rec_.final_incident(pods[0]), rec_.final_incident(pods[1]));
  EXPECT_EQ(rec_.final_incident(pods[1]), rec_.final_incident(pods[2]));
}

// Many services of one cluster starting to fail within seconds share a cause even when nothing
// else links them (a node dying under a service mesh fires dozens of services' error-rate edges at
// once, with no pod, node or zone on them); a handful starting together are left apart.
// One rule firing for three or more services of a cluster within seconds (one evaluation saw them
// fail together: a node's workloads, a shared dependency) is one incident, with no topology and no
// node to say so. Two services are not a burst, nor are alerts seconds apart, in another cluster,
// or naming the upstream they fail to reach.
TEST_F(CorrelatorTest, ServicesFiringOneAlertnameTogetherAreOneIncident) {
  auto down = [&](std::int64_t t, std::string_view service, std::string_view cluster = "prod",
                  std::string_view extra = "") {
    return alert(t, R"("alertname":"TargetDown","cluster":")" + std::string(cluster) +
                        R"(","service":")" + std::string(service) + R"(","job":")" +
                        std::string(service) + "\"" + std::string(extra));
  };
  std::vector<std::uint64_t> burst;
  for (const char* s : {"user", "orders-db", "carts", "payment"})
    burst.push_back(down(static_cast<std::int64_t>(burst.size()) * 200, s));
  const auto elsewhere = down(300, "shipping", "dr");
  std::vector<std::uint64_t> two = {down(30 * kMin, "catalog"), down(30 * kMin + 100, "search")};
  std::vector<std::uint64_t> apart;
  for (int i = 0; i < 3; ++i)
    apart.push_back(down(60 * kMin + i * 5 * kSec, "svc-" + std::to_string(i)));
  std::vector<std::uint64_t> naming;
  for (int i = 0; i < 3; ++i)
    naming.push_back(down(90 * kMin + i * 100, "caller-" + std::to_string(i), "prod",
                          R"(,"upstream":"db-)" + std::to_string(i) + "\""));
  run();
  EXPECT_EQ(incidents_of(burst).size(), 1u);
  EXPECT_NE(rec_.final_incident(elsewhere), rec_.final_incident(burst[0]));
  EXPECT_EQ(incidents_of(two).size(), 2u);
  EXPECT_EQ(incidents_of(apart).size(), 3u);
  EXPECT_EQ(incidents_of(naming).size(), 3u);
}

TEST_F(CorrelatorTest, EightServicesStartingWithinSecondsAreOneIncident) {
  auto start = [&](std::int64_t t0, int n, const std::string& prefix) {
    std::vector<std::uint64_t> seqs;
    for (int i = 0; i < n; ++i)
      seqs.push_back(
          alert(t0 + i * kSec, R"("alertname":"High5xxRate","cluster":"prod","service":")" +
                                   prefix + std::to_string(i) + "\""));
    return seqs;
  };
  // The same service failing in another cluster just before is that cluster's business.
  const auto elsewhere =
      alert(-2 * kSec, R"("alertname":"High5xxRate","cluster":"dr","service":"mesh-0")");
  const auto eight = start(0, 8, "mesh-");
  // Seven, each with an alertname of its own (one alertname would be a name burst).
  std::vector<std::uint64_t> seven;
  for (int i = 0; i < 7; ++i)
    seven.push_back(alert(30 * kMin + i * kSec, R"("alertname":"High5xxRate)" + std::to_string(i) +
                                                    R"(","cluster":"prod","service":"edge-)" +
                                                    std::to_string(i) + "\""));
  run();
  EXPECT_EQ(incidents_of(eight).size(), 1u);
  EXPECT_EQ(incidents_of(seven).size(), 7u);
  EXPECT_NE(rec_.final_incident(elsewhere), rec_.final_incident(eight[0]));
}

// The node's pods went NotReady before its second node-level alert said it was going down: each
// opened an incident of its own, and the node's incident absorbs them once it is going down. A pod
// alert that came before the node's first alert, and one with a service label, stay apart.
TEST_F(CorrelatorTest, PodOnlyAlertsJustBeforeTheNodeWasKnownToGoDownJoinItToo) {
  auto pod_not_ready = [&](std::int64_t t, std::string_view pod) {
    return alert(t, R"("alertname":"KubePodNotReady","cluster":"prod","namespace":"shop","pod":")" +
                        std::string(pod) + "\"");
  };
  const auto before = pod_not_ready(0, "media-6f4d2-klmno");
  std::vector<std::uint64_t> down;
  down.push_back(alert(10 * kSec, R"("alertname":"NodeDown","cluster":"prod","node":"ip-1")"));
  down.push_back(pod_not_ready(20 * kSec, "web-5d8f7-abcde"));
  down.push_back(pod_not_ready(25 * kSec, "cart-7c9b1-fghij"));
  const auto labelled = alert(
      28 * kSec, R"("alertname":"HighErrorRate","cluster":"prod","service":"search","pod":"s-1")");
  down.push_back(
      alert(40 * kSec, R"("alertname":"KubeletNotReady","cluster":"prod","node":"ip-1")"));
  run();
  EXPECT_EQ(incidents_of(down).size(), 1u);
  EXPECT_FALSE(incidents_of(down).contains(rec_.final_incident(before)));
  EXPECT_FALSE(incidents_of(down).contains(rec_.final_incident(labelled)));
}

// kube-state-metrics' alerts carry its own Service: once that label is known as a scrape target
// (seen with the pods of two workloads), a node's alerts carrying it are the node's, not a
// service's, so two of them say the node is going down and its pod-only alerts join it.
TEST_F(CorrelatorTest, AKnownScrapeTargetsServiceLabelNamesNoServiceOnANodesAlerts) {
  const char* ksm = R"("cluster":"prod","service":"kube-state-metrics","job":"kube-state-metrics")";
  alert(-20 * kMin, R"("alertname":"HighErrorRate","cluster":"prod","service":"web")");
  alert(-20 * kMin, R"("alertname":"HighErrorRate","cluster":"prod","service":"cart")");
  alert(-19 * kMin,
        R"("alertname":"KubePodCrashLooping",)" + std::string(ksm) + R"(,"pod":"web-5d8f7-abcde")");
  alert(-19 * kMin, R"("alertname":"KubePodCrashLooping",)" + std::string(ksm) +
                        R"(,"pod":"cart-7c9b1-fghij")");
  std::vector<std::uint64_t> down;
  down.push_back(
      alert(0, R"("alertname":"KubeNodeNotReady",)" + std::string(ksm) + R"(,"node":"ip-1")"));
  down.push_back(alert(
      10 * kSec, R"("alertname":"KubeNodeUnreachable",)" + std::string(ksm) + R"(,"node":"ip-1")"));
  down.push_back(alert(
      30 * kSec, R"("alertname":"KubePodNotReady","cluster":"prod","pod":"media-6f4d2-klmno")"));
  run();
  EXPECT_EQ(incidents_of(down).size(), 1u);
}

// node-exporter and kube-state-metrics alerts carry the exporter's own Service and pod (as
// kube-prometheus-stack scrapes them): they name the reporter, not what fails. Two nodes' alerts
// are not linked through the exporter's service or kube-state-metrics' one pod.
TEST_F(CorrelatorTest, NodeExportersAndKubeStateMetricsOwnLabelsNameNoFailingService) {
  const std::string ne = R"("cluster":"prod","service":"node-exporter","job":"node-exporter")";
  const std::string ksm =
      R"("cluster":"prod","service":"kube-state-metrics","job":"kube-state-metrics","pod":"kube-state-metrics-6d9f8-xyz12")";
  std::vector<std::uint64_t> ip1, ip2;
  ip1.push_back(alert(
      0, R"("alertname":"NodeDown",)" + ne + R"(,"pod":"node-exporter-abcde","node":"ip-1")"));
  ip2.push_back(alert(20 * kSec, R"("alertname":"HostHighCpuLoad",)" + ne +
                                     R"(,"pod":"node-exporter-fghij","node":"ip-2")"));
  ip1.push_back(alert(40 * kSec, R"("alertname":"KubeNodeNotReady",)" + ksm + R"(,"node":"ip-1")"));
  ip2.push_back(alert(50 * kSec, R"("alertname":"KubeNodePressure",)" + ksm + R"(,"node":"ip-2")"));
  run();
  EXPECT_EQ(incidents_of(ip1).size(), 1u);
  EXPECT_EQ(incidents_of(ip2).size(), 1u);
  EXPECT_FALSE(incidents_of(ip1).contains(rec_.final_incident(ip2[0])));
}

// A node down for a quarter of an hour: kube-state-metrics' NotReady 12 minutes after
// node-exporter's target went down is the same fault while the first still fires, though the
// incident saw nothing new meanwhile. A node whose down alert resolved is another story.
TEST_F(CorrelatorTest, ANodeStillDownTakesItsLaterDownAlerts) {
  std::vector<std::uint64_t> ip1;
  std::uint64_t ip2 = 0, ip2_later = 0;
  for (int i = 0; i <= 15; ++i) {
    ip1.push_back(in_prod(i * kMin, "NodeDown", "node", "ip-1"));
    // ip-2 came back after a minute; its incident stays open on a filesystem alert.
    if (i == 0) ip2 = in_prod(0, "NodeDown", "node", "ip-2");
    if (i == 1) alert(kMin, R"("alertname":"NodeDown","node":"ip-2","cluster":"prod")", "resolved");
    in_prod(i * kMin, "NodeFilesystemAlmostFull", "node", "ip-2");
    if (i == 12) {
      ip1.push_back(in_prod(12 * kMin, "KubeNodeNotReady", "node", "ip-1"));
      ip2_later = in_prod(12 * kMin, "KubeNodeNotReady", "node", "ip-2");
    }
  }
  run();
  EXPECT_EQ(incidents_of(ip1).size(), 1u);
  EXPECT_NE(rec_.final_incident(ip2), rec_.final_incident(ip2_later));
  EXPECT_NE(rec_.final_incident(ip2), rec_.final_incident(ip1[0]));
}

// A service just deployed and failing has its cause: a dependency of it going down at the same
// time (its pods were on the node that just went down) is the node's, not the deploy's.
TEST_F(CorrelatorTest, ADeployedServicesCalleeGoingDownIsNotTheDeploys) {
  topology({{"web", {"db"}}, {"db", {}}});
  alert(0, R"("alertname":"Deploy","cluster":"prod","service":"web","deploy":"web@v2")", "firing",
        "change");
  const auto web = in_prod(30 * kSec, "HighErrorRate", "service", "web");
  std::vector<std::uint64_t> node = {in_prod(40 * kSec, "NodeDown", "node", "ip-9"),
                                     in_prod(50 * kSec, "KubeletNotReady", "node", "ip-9")};
  node.push_back(in_prod(60 * kSec, "TargetDown", "service", "db"));
  run();
  EXPECT_EQ(incidents_of(node).size(), 1u);
  EXPECT_NE(rec_.final_incident(web), rec_.final_incident(node[0]));
}

// One alert saying a node is down (node-exporter's target gone) is enough to know it is going
// down: its pods' pod-only alerts just after join it. A node's load alone is not. Each later alert
// about the node (kube-state-metrics' NotReady minutes later) keeps the window open.
TEST_F(CorrelatorTest, OneAlertSayingANodeIsDownPlacesThePodsFailingAfterIt) {
  auto pod_not_ready = [&](std::int64_t t, std::string_view cluster, std::string_view pod) {
    return alert(t, R"("alertname":"KubePodNotReady","cluster":")" + std::string(cluster) +
                        R"(","pod":")" + std::string(pod) + "\"");
  };
  std::vector<std::uint64_t> down;
  for (int i = 0; i <= 8; ++i) {
    down.push_back(in_prod(i * kMin, "NodeDown", "node", "ip-1"));
    if (i == 0) {
      down.push_back(pod_not_ready(40 * kSec, "prod", "web-5d8f7-abcde"));
      down.push_back(pod_not_ready(55 * kSec, "prod", "cart-7c9b1-fghij"));
    }
    if (i == 6) down.push_back(in_prod(6 * kMin, "KubeNodeNotReady", "node", "ip-1"));
    if (i == 7) down.push_back(pod_not_ready(7 * kMin, "prod", "ledger-0"));
  }
  const auto loaded = alert(0, R"("alertname":"NodeHighLoad","cluster":"dr","node":"ip-9")");
  const auto pod = pod_not_ready(30 * kSec, "dr", "media-6f4d2-klmno");
  run();
  EXPECT_EQ(incidents_of(down).size(), 1u);
  EXPECT_NE(rec_.final_incident(loaded), rec_.final_incident(pod));
}

// A node's workloads failing together (one rule for several services, no node on the alerts)
// before the node's own rules fire: once the node is going down, it explains them.
TEST_F(CorrelatorTest, ANameBurstBeforeANodeGoesDownIsTheNodes) {
  std::vector<std::uint64_t> all;
  for (const char* svc : {"user", "carts", "payment"})
    all.push_back(
        alert(all.size() * 300,
              R"("alertname":"KubeDeploymentReplicasMismatch","cluster":"prod","deployment":")" +
                  std::string(svc) + R"(","service":")" + svc + "\""));
  all.push_back(
      alert(60 * kSec, R"("alertname":"KubeNodeNotReady","cluster":"prod","node":"ip-1")"));
  all.push_back(
      alert(70 * kSec, R"("alertname":"NodeExporterDown","cluster":"prod","node":"ip-1")"));
  const auto other_cluster = alert(
      500, R"("alertname":"KubeDeploymentReplicasMismatch","cluster":"dr","service":"search")");
  run();
  EXPECT_EQ(incidents_of(all).size(), 1u);
  EXPECT_FALSE(incidents_of(all).contains(rec_.final_incident(other_cluster)));
}

// A node's precursor (load, pressure) can fire minutes before it is known to be down: its pods
// fail for hop_delay after that, not after the precursor, and only its pods' incidents opened
// within hop_delay before it went down are taken.
TEST_F(CorrelatorTest, ANodeIsGoingDownFromWhenItWasKnownDownNotFromItsPrecursor) {
  auto pod_not_ready = [&](std::int64_t t, std::string_view pod) {
    return alert(t, R"("alertname":"KubePodNotReady","cluster":"prod","namespace":"shop","pod":")" +
                        std::string(pod) + "\"");
  };
  std::vector<std::uint64_t> node;
  node.push_back(alert(0, R"("alertname":"NodeHighLoad","cluster":"prod","node":"ip-1")"));
  const auto early = pod_not_ready(10 * kSec, "media-6f4d2-klmno");
  node.push_back(alert(
      70 * kSec, R"("alertname":"HighLatency","cluster":"prod","service":"api","node":"ip-1")"));
  node.push_back(
      alert(150 * kSec, R"("alertname":"KubeNodeNotReady","cluster":"prod","node":"ip-1")"));
  node.push_back(pod_not_ready(170 * kSec, "web-5d8f7-abcde"));
  node.push_back(pod_not_ready(230 * kSec, "cart-7c9b1-fghij"));
  const auto later = pod_not_ready(150 * kSec + config_.hop_delay_ms + 10 * kSec, "ledger-0");
  run();
  EXPECT_EQ(incidents_of(node).size(), 1u);
  EXPECT_FALSE(incidents_of(node).contains(rec_.final_incident(early)));
  EXPECT_FALSE(incidents_of(node).contains(rec_.final_incident(later)));
}

// A pod going NotReady just as a node went down is explained by the node, not by its service's
// dependency failing at the same time (which alone would link it by topology).
TEST_F(CorrelatorTest, APodGoingNotReadyAsANodeGoesDownIsExplainedByTheNode) {
  topology({{"web", {"ledger"}}, {"ledger", {}}});
  const auto ledger =
      alert(-30 * kSec, R"("alertname":"HighErrorRate","cluster":"prod","service":"ledger")");
  std::vector<std::uint64_t> node;
  node.push_back(alert(0, R"("alertname":"NodeDown","cluster":"prod","node":"ip-1")"));
  node.push_back(
      alert(5 * kSec, R"("alertname":"KubeletNotReady","cluster":"prod","node":"ip-1")"));
  node.push_back(alert(
      40 * kSec, R"("alertname":"KubePodNotReady","cluster":"prod","pod":"web-5d8f7-abcde")"));
  run();
  EXPECT_EQ(incidents_of(node).size(), 1u);
  EXPECT_NE(rec_.final_incident(ledger), rec_.final_incident(node[0]));
}

// One node-level alertname on many fingerprints (a disk's mountpoints filling) is not a node going
// down: an unrelated pod alert then is not pulled in.
TEST_F(CorrelatorTest, ADiskFillingIsNoNodeGoingDown) {
  const auto a =
      alert(0, R"("alertname":"DiskSpaceLow","cluster":"prod","node":"ip-3","mountpoint":"/")");
  const auto b = alert(
      2 * kSec, R"("alertname":"DiskSpaceLow","cluster":"prod","node":"ip-3","mountpoint":"/var")");
  const auto pod =
      alert(30 * kSec, R"("alertname":"KubePodNotReady","cluster":"prod","pod":"web-5d8f7-abcde")");
  run();
  EXPECT_EQ(rec_.final_incident(a), rec_.final_incident(b));
  EXPECT_NE(rec_.final_incident(pod), rec_.final_incident(a));
}

TEST_F(CorrelatorTest, LearnsCallEdgesFromUpstreamLabelsWithoutATopologyFile) {
  // Seen earlier: orders names db-orders as its upstream, so orders calls db-orders.
  alert(0, R"("alertname":"SlowQueries","service":"orders","upstream":"db-orders")", "resolved");
  std::vector<std::uint64_t> seqs;
  seqs.push_back(alert(30 * kMin, R"("alertname":"DiskFull","service":"db-orders")"));
  // Later alerts of orders carry no upstream label; the learned edge links them.
  seqs.push_back(alert(30 * kMin + 40 * kSec, R"("alertname":"HighErrorRate","service":"orders")"));
  const auto other =
      alert(30 * kMin + 50 * kSec, R"("alertname":"HighErrorRate","service":"search")");
  run();
  EXPECT_EQ(incidents_of(seqs).size(), 1u);
  EXPECT_NE(rec_.final_incident(other), rec_.final_incident(seqs[0]));
}

TEST_F(CorrelatorTest, ChangeEventsAreNotAssigned) {
  alert(0, R"("alertname":"Deploy","service":"orders","change_type":"deploy")", "firing", "change");
  const auto a = alert(60 * kSec, R"("alertname":"Errors","service":"orders")");
  run();
  EXPECT_EQ(rec_.incident_of.size(), 1u);
  EXPECT_TRUE(rec_.incident_of.count(a));
  EXPECT_EQ(stats_.changes, 1u);
}

TEST(CorrelatorConfig, ValidationNamesTheKey) {
  Config c;
  c.link_threshold = 1.5;
  auto r = validate(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("link_threshold"), std::string::npos);
  EXPECT_TRUE(validate(Config{}));
}

}  // namespace
}  // namespace squall::correlate
