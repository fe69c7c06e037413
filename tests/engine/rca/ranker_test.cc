#include "engine/rca/ranker.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/engine/rca/incident_builder.h"

namespace squall::rca {
namespace {

using testkit::IncidentBuilder;
using testkit::kT0;
constexpr std::int64_t kSec = 1000;

class RankerTest : public ::testing::Test {
 protected:
  std::vector<Hypothesis> rank(const core::Topology& topo, Config config = {}) {
    std::vector<Hypothesis> out;
    RootCauseRanker r(config);
    r.rank(b_.incident(), b_.members(), topo, b_.interner(), out);
    return out;
  }
  // "svc:<name>" / "node:<name>" for the top hypotheses, for readable failures.
  std::string key(const Hypothesis& h) {
    if (h.zone) return "zone:" + std::string(b_.name(h.zone));
    if (h.node) return "node:" + std::string(b_.name(h.node));
    return "svc:" + std::string(b_.name(h.service));
  }
  static bool has_reason(const Hypothesis& h, std::string_view needle) {
    return std::any_of(h.reasons.begin(), h.reasons.end(),
                       [&](const std::string& r) { return r.find(needle) != std::string::npos; });
  }
  std::string dump(const std::vector<Hypothesis>& hs) {
    std::string s;
    for (const auto& h : hs) {
      s += key(h) + " " + std::to_string(h.score) + " [";
      for (const auto& r : h.reasons) s += r + "; ";
      s += "]\n";
    }
    return s;
  }

  // frontend -> checkout -> orders -> db-orders; checkout -> payments; search -> db-orders.
  // A broker with a consumer and a producer.
  core::Topology broker() {
    return b_.topology(
        {{"queue-master", {"rabbitmq"}}, {"shipping", {"rabbitmq"}}, {"rabbitmq", {}}});
  }
  core::Topology shop() {
    return b_.topology({{"frontend", {"checkout", "search"}},
                        {"checkout", {"orders", "payments"}},
                        {"orders", {"db-orders"}},
                        {"search", {"db-orders"}},
                        {"payments", {}},
                        {"db-orders", {}}});
  }

  // A zone partition of eu-1b: a cross-zone probe fails, then four services with nothing else in
  // common, service i on node `node_of(i)` ("" when its alert names no node).
  template <typename NodeOf>
  void zone_partition(NodeOf node_of) {
    using B = IncidentBuilder;
    b_.add(B::alert("a-1", kT0, "CrossZoneProbeFailed", "", "", "critical",
                    R"(,"zone":"eu-1b","instance":"probe.eu-1a:443")"));
    const char* services[] = {"search", "billing", "media", "ledger"};
    for (int i = 0; i < 4; ++i)
      b_.add(B::alert("s-" + std::to_string(i), kT0 + (10 + 5 * i) * kSec,
                      "UpstreamConnectFailures", services[i], node_of(i), "critical",
                      R"(,"zone":"eu-1b")"));
  }

  // orders, then search `gap_s` seconds later, fail; in shop() both call db-orders.
  void orders_and_search_fail(int gap_s) {
    b_.add(IncidentBuilder::alert("a-1", kT0, "HighErrorRate", "orders", "", "error"));
    b_.add(
        IncidentBuilder::alert("a-2", kT0 + gap_s * kSec, "HighErrorRate", "search", "", "error"));
  }

  // orders and payments on node n7 slowing down 70 and 75 seconds after kT0.
  void n7_neighbours_slow_down() {
    b_.add(IncidentBuilder::alert("a-3", kT0 + 70 * kSec, "HighLatencyP99", "orders", "n7",
                                  "warning", R"(,"pod":"o-1")"));
    b_.add(IncidentBuilder::alert("a-4", kT0 + 75 * kSec, "HighLatencyP99", "payments", "n7",
                                  "warning", R"(,"pod":"p-1")"));
  }

  IncidentBuilder b_;
};

TEST_F(RankerTest, DatastoreFailureRanksDatastoreAboveItsDependents) {
  using B = IncidentBuilder;
  b_.add(B::alert("a-1", kT0, "ConnectionPoolExhausted", "db-orders", "n1"));
  // Dependents fail after it, on every node their pods run on; two of them share node n2.
  b_.add(
      B::alert("a-2", kT0 + 30 * kSec, "HighLatency", "orders", "n2", "error", R"(,"pod":"o-1")"));
  b_.add(
      B::alert("a-3", kT0 + 32 * kSec, "HighLatency", "orders", "n3", "error", R"(,"pod":"o-2")"));
  b_.add(B::alert("a-4", kT0 + 40 * kSec, "HighErrorRate", "search", "n2", "error",
                  R"(,"pod":"s-1")"));
  b_.add(B::alert("a-5", kT0 + 41 * kSec, "HighErrorRate", "search", "n4", "error",
                  R"(,"pod":"s-2")"));
  b_.add(B::alert("a-6", kT0 + 50 * kSec, "HighErrorRate", "checkout", "", "critical"));
  b_.add(B::alert("a-7", kT0 + 70 * kSec, "SLOBurn", "frontend", "", "critical"));
  const auto topo = shop();
  const auto hs = rank(topo);
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "svc:db-orders") << dump(hs);
  EXPECT_TRUE(has_reason(hs[0], "earliest onset")) << dump(hs);
  EXPECT_TRUE(has_reason(hs[0], "4 dependents alerting after it")) << dump(hs);
  // Every dependent, and every node, ranks below it.
  for (std::size_t i = 1; i < hs.size(); ++i) EXPECT_LT(hs[i].score, hs[0].score) << dump(hs);
}

// A datastore's own rule often fires after its callers' error rates (a longer `for:`): the caller
// alerting first is not the deepest failing service, the datastore it calls is.
TEST_F(RankerTest, ADatastoreAlertingAfterItsCallerStillRanksFirst) {
  using B = IncidentBuilder;
  b_.add(B::alert("a-1", kT0, "HighErrorRate", "orders", "", "critical"));
  b_.add(B::alert("a-2", kT0 + 20 * kSec, "ConnectionPoolExhausted", "db-orders", "", "critical"));
  b_.add(B::alert("a-3", kT0 + 30 * kSec, "HighErrorRate", "checkout", "", "critical"));
  const auto hs = rank(shop());
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "svc:db-orders") << dump(hs);
  EXPECT_TRUE(has_reason(hs[0], "most depended-upon alerting service")) << dump(hs);
}

// A queue backing up is its consumer's failure showing: the broker alerting first about ready
// messages piling up does not make it the root, the consumer behind it is.
TEST_F(RankerTest, AQueueBackingUpPointsAtItsConsumer) {
  using B = IncidentBuilder;
  b_.add(B::alert("a-1", kT0, "RabbitmqTooManyReadyMessages", "rabbitmq", "", "warning"));
  b_.add(B::alert("a-2", kT0 + 30 * kSec, "KubePodCrashLooping", "queue-master", "", "warning"));
  const auto hs = rank(broker());
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "svc:queue-master") << dump(hs);
  EXPECT_TRUE(has_reason(hs[0], "rabbitmq backing up behind it")) << dump(hs);
}

// The same broker failing itself (a memory alarm beside the backlog) is a datastore failing.
TEST_F(RankerTest, ABrokerFailingItselfStillRanksFirst) {
  using B = IncidentBuilder;
  b_.add(B::alert("a-1", kT0, "RabbitmqTooManyReadyMessages", "rabbitmq", "", "warning"));
  b_.add(B::alert("a-2", kT0 + 5 * kSec, "RabbitmqMemoryAlarm", "rabbitmq", "", "critical"));
  b_.add(B::alert("a-3", kT0 + 30 * kSec, "HighErrorRate", "queue-master", "", "warning"));
  const auto hs = rank(broker());
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "svc:rabbitmq") << dump(hs);
}

TEST_F(RankerTest, BadDeployRanksItsServiceFirstWithTheDeployAsReason) {
  using B = IncidentBuilder;
  // A benign deploy long before, on a service that later alerts as a symptom.
  b_.add(B::change("c-1", kT0 - 25 * 60 * kSec, "frontend", "frontend@v9.1.0",
                   "deploy frontend@v9.1.0"));
  b_.add(B::change("c-2", kT0 - 90 * kSec, "orders", "orders@v2.3.1", "deploy orders@v2.3.1"));
  b_.add(B::alert("a-1", kT0, "HighErrorRate", "orders", "n1", "error", R"(,"pod":"o-1")"));
  b_.add(
      B::alert("a-2", kT0 + 2 * kSec, "HighErrorRate", "orders", "n2", "error", R"(,"pod":"o-2")"));
  b_.add(B::alert("a-3", kT0 + 20 * kSec, "HighErrorRate", "checkout", "", "critical"));
  b_.add(B::alert("a-4", kT0 + 45 * kSec, "SLOBurn", "frontend", "", "critical"));
  const auto topo = shop();
  const auto hs = rank(topo);
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "svc:orders") << dump(hs);
  ASSERT_EQ(hs[0].change, 1);
  EXPECT_TRUE(has_reason(hs[0], "deploy orders@v2.3.1, 90s before onset")) << dump(hs);
  ASSERT_FALSE(hs[0].evidence.empty());
  EXPECT_EQ(hs[0].evidence[0], "c-2");
  EXPECT_EQ(hs[0].evidence[1], "a-1");
}

// An unrelated alert opened the incident a minute before the deploy: a change that lands moments
// before its own service starts alerting still explains that service, onset or not.
TEST_F(RankerTest, BadDeployRanksFirstInAnIncidentSomethingElseOpened) {
  using B = IncidentBuilder;
  b_.add(B::alert("a-0", kT0, "HighLatency", "payments", "", "critical"));
  b_.add(B::change("c-1", kT0 + 60 * kSec, "orders", "orders@v2.3.1", "deploy orders@v2.3.1"));
  b_.add(B::alert("a-1", kT0 + 80 * kSec, "HighErrorRate", "orders", "n1", "error",
                  R"(,"pod":"o-1")"));
  b_.add(B::alert("a-2", kT0 + 82 * kSec, "HighErrorRate", "orders", "n2", "error",
                  R"(,"pod":"o-2")"));
  b_.add(B::alert("a-3", kT0 + 100 * kSec, "HighErrorRate", "checkout", "", "critical"));
  b_.add(B::alert("a-4", kT0 + 120 * kSec, "SLOBurn", "frontend", "", "critical"));
  const auto topo = shop();
  const auto hs = rank(topo);
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "svc:orders") << dump(hs);
  EXPECT_EQ(hs[0].change, 0);
}

TEST_F(RankerTest, BadDeployWinsWithoutTopologyToo) {
  using B = IncidentBuilder;
  b_.add(B::change("c-1", kT0 - 40 * kSec, "orders", "orders@v2.3.1", "deploy orders@v2.3.1"));
  // Without a topology, near-simultaneous onsets leave the deploy to decide.
  b_.add(B::alert("a-0", kT0, "HighLatency", "checkout", "", "critical"));
  b_.add(B::alert("a-1", kT0 + 3 * kSec, "HighErrorRate", "orders", "", "error"));
  b_.add(B::alert("a-2", kT0 + 10 * kSec, "SLOBurn", "frontend", "", "critical"));
  const auto hs = rank(core::Topology{});
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "svc:orders") << dump(hs);
  EXPECT_EQ(hs[0].change, 0);
}

TEST_F(RankerTest, NodeFailureRanksTheNodeFirst) {
  using B = IncidentBuilder;
  b_.add(B::alert("a-1", kT0, "NodeDown", "", "n7", "critical", R"(,"job":"node-exporter")"));
  b_.add(B::alert("a-2", kT0 + 25 * kSec, "KubePodNotReady", "orders", "n7", "warning",
                  R"(,"pod":"o-1")"));
  b_.add(
      B::alert("a-3", kT0 + 40 * kSec, "TargetDown", "search", "n7", "warning", R"(,"pod":"s-1")"));
  b_.add(B::alert("a-4", kT0 + 70 * kSec, "KubePodNotReady", "payments", "n7", "warning",
                  R"(,"pod":"p-1")"));
  // A caller of one of them suffers mildly, later.
  b_.add(B::alert("a-5", kT0 + 90 * kSec, "HighLatency", "checkout", "", "warning"));
  const auto topo = shop();
  const auto hs = rank(topo);
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "node:n7") << dump(hs);
  EXPECT_TRUE(has_reason(hs[0], "3 services alerting on this node")) << dump(hs);
  EXPECT_TRUE(has_reason(hs[0], "node-level alerts first (NodeDown)")) << dump(hs);
  EXPECT_EQ(hs[0].evidence[0], "a-1");
  EXPECT_EQ(hs[0].service, 0u);
}

TEST_F(RankerTest, NoisyNeighbourNamesTheServiceLeadingTheNode) {
  // One pod hogs the node; a minute later its neighbours slow down.
  using B = IncidentBuilder;
  b_.add(
      B::alert("a-1", kT0, "ContainerCpuUsageHigh", "search", "n7", "warning", R"(,"pod":"s-1")"));
  b_.add(B::alert("a-2", kT0 + 60 * kSec, "NodeCPUSaturation", "", "n7", "warning"));
  n7_neighbours_slow_down();
  const auto topo = shop();
  const auto hs = rank(topo);
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]).rfind("node:n7", 0), 0u) << dump(hs);
  EXPECT_EQ(hs[0].service, b_.interner().find("search")) << dump(hs);
  EXPECT_TRUE(has_reason(hs[0], "search alerted on it 70s before the other services")) << dump(hs);
}

// A node that said it was down before any of its pods alerted is the cause however its pods'
// alerts are spread out (each fails as its own probes time out): no pod is named as the culprit.
TEST_F(RankerTest, ANodeDownFirstNamesNoLeadingService) {
  using B = IncidentBuilder;
  b_.add(B::alert("a-0", kT0 - 10 * kSec, "NodeDown", "", "n7", "critical"));
  b_.add(B::alert("a-1", kT0, "HighErrorRate", "search", "n7", "warning", R"(,"pod":"s-1")"));
  n7_neighbours_slow_down();
  const auto topo = shop();
  const auto hs = rank(topo);
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]).rfind("node:n7", 0), 0u) << dump(hs);
  EXPECT_EQ(hs[0].service, 0u) << dump(hs);
  EXPECT_TRUE(has_reason(hs[0], "node-level alerts first (NodeDown)")) << dump(hs);
}

TEST_F(RankerTest, NodeFailureWithoutNodeLevelAlertsStillRanksTheNodeFirst) {
  using B = IncidentBuilder;
  b_.add(B::alert("a-2", kT0, "KubePodNotReady", "orders", "n7", "warning", R"(,"pod":"o-1")"));
  b_.add(
      B::alert("a-3", kT0 + 5 * kSec, "TargetDown", "search", "n7", "warning", R"(,"pod":"s-1")"));
  b_.add(B::alert("a-4", kT0 + 9 * kSec, "KubePodNotReady", "payments", "n7", "warning",
                  R"(,"pod":"p-1")"));
  const auto hs = rank(core::Topology{});
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "node:n7") << dump(hs);
}

// A node dies: its workloads' alerts (kube-state-metrics, probes) name no node and fire first,
// joining as a burst; the node's own rules fire a minute later. The one node going down explains
// them. The same services with one node-level alertname only (no node known to be down), or not
// joined as a burst, leave the node behind.
class NodeBurstRankerTest : public RankerTest {
 protected:
  std::vector<Hypothesis> node_dies(core::JoinReason reason, bool known_down) {
    using B = IncidentBuilder;
    b_.add(B::alert("w-1", kT0, "KubeDeploymentReplicasMismatch", "orders", "", "warning"));
    for (const char* svc : {"search", "payments"})
      b_.add(B::alert(std::string("w-") + svc, kT0 + 1 * kSec, "KubeDeploymentReplicasMismatch",
                      svc, "", "warning"),
             reason);
    b_.add(B::alert("n-1", kT0 + 60 * kSec, "KubeNodeNotReady", "", "n7", "warning"),
           core::JoinReason::kNodeDown);
    if (known_down)
      b_.add(B::alert("n-2", kT0 + 70 * kSec, "NodeExporterDown", "", "n7", "critical"));
    return rank(core::Topology{});
  }
};

TEST_F(NodeBurstRankerTest, ANodeGoingDownExplainsTheBurstOfServicesWithNoNodeOnTheirAlerts) {
  const auto hs = node_dies(core::JoinReason::kServiceBurst, true);
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "node:n7") << dump(hs);
  EXPECT_TRUE(has_reason(hs[0], "going down as 2 services failed together")) << dump(hs);
}

TEST_F(NodeBurstRankerTest, ANodeNotKnownDownDoesNotExplainTheBurst) {
  const auto hs = node_dies(core::JoinReason::kServiceBurst, false);
  ASSERT_FALSE(hs.empty());
  EXPECT_NE(key(hs[0]), "node:n7") << dump(hs);
}

TEST_F(NodeBurstRankerTest, ServicesNotJoinedAsABurstAreNotTheNodesDoing) {
  const auto hs = node_dies(core::JoinReason::kSameService, true);
  ASSERT_FALSE(hs.empty());
  EXPECT_NE(key(hs[0]), "node:n7") << dump(hs);
}

TEST_F(RankerTest, ServicesFailingEverywhereDoNotMakeANodeTheCause) {
  using B = IncidentBuilder;
  b_.add(B::alert("a-1", kT0, "ConnectionPoolExhausted", "db-orders", ""));
  // orders and search alert on every pod, spread over n1..n3: no node is special.
  int id = 2;
  for (const char* svc : {"orders", "search"})
    for (const char* node : {"n1", "n2", "n3"})
      b_.add(B::alert("a-" + std::to_string(id++), kT0 + 30 * kSec, "HighErrorRate", svc, node,
                      "error", fmt::format(R"(,"pod":"{}-{}")", svc, node)));
  const auto topo = shop();
  const auto hs = rank(topo);
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "svc:db-orders") << dump(hs);
  for (const auto& h : hs) {
    if (h.node) {
      EXPECT_LT(h.score, hs[0].score) << dump(hs);
    }
  }
}

// A zone partition: probes between zones fail first, then services with nothing else in common,
// on different nodes, all in that zone. No service explains the others; the zone does.
TEST_F(RankerTest, ServicesFailingTogetherInOneZoneMakeTheZoneTheCause) {
  zone_partition([](int i) { return "n" + std::to_string(i); });
  const auto hs = rank(core::Topology{});
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "zone:eu-1b") << dump(hs);
  EXPECT_TRUE(has_reason(hs[0], "4 services alerting in this zone")) << dump(hs);
  EXPECT_TRUE(has_reason(hs[0], "zone-level alerts first (CrossZoneProbeFailed)")) << dump(hs);
  EXPECT_EQ(hs[0].evidence.front(), "a-1");
}

// The same services on one node make the node the cause, not its zone.
TEST_F(RankerTest, OneNodesServicesAreNoZoneHypothesis) {
  using B = IncidentBuilder;
  const char* services[] = {"search", "billing", "media", "ledger"};
  for (int i = 0; i < 4; ++i)
    b_.add(B::alert("s-" + std::to_string(i), kT0 + i * kSec, "PodNotReady", services[i], "n1",
                    "critical", R"(,"zone":"eu-1b")"));
  const auto hs = rank(core::Topology{});
  for (const auto& h : hs) EXPECT_EQ(h.zone, 0u) << dump(hs);
}

// A partition where only one of the zone's services alerted with its node (the others say only
// their zone): one node does not explain services that alerted off it, so the zone still leads.
TEST_F(RankerTest, AZonesServicesWithOnlyOneNodeKnownStillMakeTheZoneTheCause) {
  zone_partition([](int i) { return std::string(i == 0 ? "n1" : ""); });
  const auto hs = rank(core::Topology{});
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "zone:eu-1b") << dump(hs);
}

// Services failing spread over the zones: no zone is the cause.
TEST_F(RankerTest, FailuresSpreadOverZonesAreNoZoneHypothesis) {
  using B = IncidentBuilder;
  const char* services[] = {"search", "billing", "media", "ledger", "quotes", "tax"};
  for (int i = 0; i < 6; ++i)
    b_.add(B::alert("s-" + std::to_string(i), kT0 + i * kSec, "HighErrorRate", services[i],
                    "n" + std::to_string(i), "critical",
                    std::string(R"(,"zone":"eu-1)") + static_cast<char>('a' + i % 3) + "\""));
  const auto hs = rank(core::Topology{});
  ASSERT_FALSE(hs.empty());
  for (const auto& h : hs) EXPECT_EQ(h.zone, 0u) << dump(hs);
}

TEST_F(RankerTest, WithoutTopologyOrNodesTheEarliestServiceLeads) {
  using B = IncidentBuilder;
  b_.add(B::alert("a-1", kT0 + 5 * kSec, "HighLatency", "checkout", "", "warning"));
  b_.add(B::alert("a-2", kT0, "Errors", "ledger", "", "critical"));
  b_.add(B::alert("a-3", kT0 + 60 * kSec, "SLOBurn", "frontend", "", "critical"));
  const auto hs = rank(core::Topology{});
  ASSERT_EQ(hs.size(), 3u);
  EXPECT_EQ(key(hs[0]), "svc:ledger") << dump(hs);
  EXPECT_TRUE(has_reason(hs[0], "earliest onset"));
  for (const auto& h : hs) EXPECT_FALSE(h.reasons.empty());
}

TEST_F(RankerTest, ChangeOnAServiceThatDoesNotAlertIsAHypothesisOfItsOwn) {
  using B = IncidentBuilder;
  b_.add(B::change("c-1", kT0 - 30 * kSec, "db-orders", "db-orders@v5",
                   "config db-orders max_conn=10"));
  b_.add(B::alert("a-1", kT0, "HighErrorRate", "orders", "", "error"));
  b_.add(B::alert("a-2", kT0 + 2 * kSec, "HighErrorRate", "search", "", "error"));
  const auto topo = shop();
  const auto hs = rank(topo);
  auto it = std::find_if(hs.begin(), hs.end(), [](const Hypothesis& h) { return h.change == 0; });
  ASSERT_NE(it, hs.end()) << dump(hs);
  EXPECT_EQ(b_.name(it->service), "db-orders");
  // Its callers' alerts follow the change: db-orders is also their silent dependency.
  EXPECT_EQ(it->evidence, (std::vector<std::string>{"c-1", "a-1", "a-2"}));
  EXPECT_TRUE(has_reason(*it, "called by 2 failing services")) << dump(hs);
}

// Services change all the time: a deploy of a dependency that does not alert, shortly before the
// one service alerting, is a hypothesis but not the first.
TEST_F(RankerTest, AQuietDependencysChangeDoesNotOutrankItsOneAlertingCaller) {
  using B = IncidentBuilder;
  b_.add(B::change("c-1", kT0 - 120 * kSec, "payments", "payments@v7", "deploy payments@v7"));
  b_.add(B::alert("a-1", kT0, "HighLatencyP99", "checkout", "", "warning"));
  const auto hs = rank(shop());
  ASSERT_GE(hs.size(), 2u) << dump(hs);
  EXPECT_EQ(key(hs[0]), "svc:checkout") << dump(hs);
}

// The same change with several alerting services depending on it leads.
TEST_F(RankerTest, AQuietDependencysChangeLeadsWhenSeveralAlertingServicesDependOnIt) {
  using B = IncidentBuilder;
  b_.add(B::change("c-1", kT0 - 30 * kSec, "db-orders", "db-orders@v5", "deploy db-orders@v5"));
  b_.add(B::alert("a-1", kT0, "HighErrorRate", "orders", "", "error"));
  b_.add(B::alert("a-2", kT0 + 2 * kSec, "HighErrorRate", "search", "", "error"));
  b_.add(B::alert("a-3", kT0 + 20 * kSec, "HighErrorRate", "frontend", "", "error"));
  const auto hs = rank(shop());
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "svc:db-orders") << dump(hs);
}

// A dependency with no alerting rule of its own (or whose exporter died with it): the services
// calling it alert, it does not. When the failing services share it and nothing alerting explains
// them, it is the likeliest cause.
TEST_F(RankerTest, ASilentDependencyOfSeveralFailingServicesRanksFirst) {
  orders_and_search_fail(5);
  const auto hs = rank(shop());
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "svc:db-orders") << dump(hs);
  EXPECT_TRUE(
      has_reason(hs[0], "not alerting itself; called by 2 failing services (orders, search)"))
      << dump(hs);
  EXPECT_EQ(hs[0].evidence, (std::vector<std::string>{"a-1", "a-2"}));
}

// One failing service with silent callees: they are possibilities, below the service itself.
TEST_F(RankerTest, TheSilentDependenciesOfOneFailingServiceRankBelowIt) {
  using B = IncidentBuilder;
  b_.add(B::alert("a-1", kT0, "HighLatencyP99", "checkout", "", "warning"));
  const auto hs = rank(shop());
  ASSERT_EQ(hs.size(), 3u) << dump(hs);
  EXPECT_EQ(key(hs[0]), "svc:checkout") << dump(hs);
  std::set<std::string> rest{key(hs[1]), key(hs[2])};
  EXPECT_EQ(rest, (std::set<std::string>{"svc:orders", "svc:payments"})) << dump(hs);
  EXPECT_LT(hs[1].score, hs[0].score / 2) << dump(hs);
}

// A failing service whose alerting callee explains it points at nothing silent: the datastore
// alerts, so checkout's other callee (payments, silent) is no hypothesis.
TEST_F(RankerTest, ServicesExplainedByAnAlertingCalleeSuggestNoSilentOne) {
  using B = IncidentBuilder;
  b_.add(B::alert("a-1", kT0, "ConnectionPoolExhausted", "db-orders", "", "critical"));
  b_.add(B::alert("a-2", kT0 + 30 * kSec, "HighLatency", "orders", "", "error"));
  b_.add(B::alert("a-3", kT0 + 50 * kSec, "HighErrorRate", "checkout", "", "critical"));
  const auto hs = rank(shop());
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "svc:db-orders") << dump(hs);
  for (const auto& h : hs) EXPECT_NE(key(h), "svc:payments") << dump(hs);
}

// A failing service deployed just before it alerted has its explanation: it does not make the
// dependency it shares with another failing service the common cause.
TEST_F(RankerTest, ADeployedCallerDoesNotPointAtItsSilentDependency) {
  using B = IncidentBuilder;
  b_.add(B::change("c-1", kT0 - 40 * kSec, "orders", "orders@v9", "deploy orders@v9"));
  orders_and_search_fail(5);
  const auto hs = rank(shop());
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "svc:orders") << dump(hs);
  for (const auto& h : hs)
    if (key(h) == "svc:db-orders") {
      EXPECT_TRUE(has_reason(h, "called by 1 failing service (search)")) << dump(hs);
      EXPECT_LT(h.score, hs[0].score / 2) << dump(hs);
    }
}

// A queue alerting alone, with nothing alerting that calls it or that it calls: its consumer may
// have stopped. Its silent callers are possibilities, well below it.
TEST_F(RankerTest, TheSilentCallersOfAServiceFailingAloneRankBelowIt) {
  b_.add(IncidentBuilder::alert("a-1", kT0, "RabbitmqTooManyReadyMessages", "rabbitmq", "",
                                "warning"));
  const auto topo =
      b_.topology({{"queue-master", {"rabbitmq"}}, {"shipping", {"rabbitmq"}}, {"rabbitmq", {}}});
  const auto hs = rank(topo);
  ASSERT_EQ(hs.size(), 3u) << dump(hs);
  EXPECT_EQ(key(hs[0]), "svc:rabbitmq") << dump(hs);
  EXPECT_EQ((std::set<std::string>{key(hs[1]), key(hs[2])}),
            (std::set<std::string>{"svc:queue-master", "svc:shipping"}))
      << dump(hs);
  EXPECT_TRUE(has_reason(hs[1], "not alerting itself; calls rabbitmq")) << dump(hs);
  EXPECT_LT(hs[1].score, hs[0].score / 4) << dump(hs);
  EXPECT_EQ(hs[1].evidence, std::vector<std::string>{"a-1"});
}

// A leaf deployed just before it alerted has its explanation: no silent caller is suggested.
TEST_F(RankerTest, ADeployedLeafSuggestsNoSilentCaller) {
  b_.add(IncidentBuilder::change("c-1", kT0 - 30 * kSec, "rabbitmq", "rabbitmq@3.12",
                                 "deploy rabbitmq@3.12"));
  b_.add(IncidentBuilder::alert("a-1", kT0, "RabbitmqTooManyReadyMessages", "rabbitmq", "",
                                "warning"));
  const auto hs = rank(b_.topology({{"queue-master", {"rabbitmq"}}, {"rabbitmq", {}}}));
  ASSERT_EQ(hs.size(), 1u) << dump(hs);
  EXPECT_EQ(key(hs[0]), "svc:rabbitmq") << dump(hs);
}

// A silent dependency that also changed is one hypothesis holding both.
TEST_F(RankerTest, ASilentDependencysChangeIsFoldedIntoItsHypothesis) {
  using B = IncidentBuilder;
  b_.add(B::change("c-1", kT0 - 30 * kSec, "db-orders", "db-orders@v5", "deploy db-orders@v5"));
  orders_and_search_fail(2);
  const auto hs = rank(shop());
  ASSERT_FALSE(hs.empty());
  EXPECT_EQ(key(hs[0]), "svc:db-orders") << dump(hs);
  EXPECT_EQ(hs[0].change, 0);
  EXPECT_TRUE(has_reason(hs[0], "deploy db-orders@v5")) << dump(hs);
  EXPECT_TRUE(has_reason(hs[0], "called by 2 failing services")) << dump(hs);
  // The change first, in the reasons as in the evidence.
  ASSERT_EQ(hs[0].reasons.size(), 2u) << dump(hs);
  EXPECT_EQ(hs[0].reasons[0], "deploy db-orders@v5, 30s before onset") << dump(hs);
  EXPECT_EQ(hs[0].evidence.front(), "c-1");
  EXPECT_EQ(std::count_if(hs.begin(), hs.end(),
                          [&](const Hypothesis& h) { return key(h) == "svc:db-orders"; }),
            1)
      << dump(hs);
}

TEST_F(RankerTest, ScoresAreBoundedAtMostFiveAndEvidenceIsReal) {
  using B = IncidentBuilder;
  std::set<std::string> ids;
  for (int i = 0; i < 40; ++i) {
    const std::string id = "a-" + std::to_string(i);
    ids.insert(id);
    b_.add(B::alert(id, kT0 + i * kSec, "Alert" + std::to_string(i % 7),
                    "svc-" + std::to_string(i % 12), "node-" + std::to_string(i % 5),
                    i % 3 ? "warning" : "critical", fmt::format(R"(,"pod":"p-{}")", i)));
  }
  b_.add(B::change("c-9", kT0 - 10 * kSec, "svc-3", "svc-3@v1", "deploy svc-3@v1"));
  ids.insert("c-9");
  std::vector<core::Topology::Entry> entries;
  for (int i = 1; i < 12; ++i)
    entries.push_back({"svc-" + std::to_string(i), {"svc-" + std::to_string(i / 2)}});
  const auto topo = b_.topology(entries);
  const auto hs = rank(topo);
  ASSERT_EQ(hs.size(), 5u);
  for (std::size_t i = 0; i < hs.size(); ++i) {
    EXPECT_GE(hs[i].score, 0.0);
    EXPECT_LE(hs[i].score, 1.0);
    if (i > 0) {
      EXPECT_GE(hs[i - 1].score, hs[i].score);
    }
    EXPECT_FALSE(hs[i].reasons.empty());
    EXPECT_FALSE(hs[i].evidence.empty());
    EXPECT_LE(hs[i].evidence.size(), 5u);
    for (const auto& e : hs[i].evidence) EXPECT_TRUE(ids.count(e)) << e;
  }
  Config small;
  small.max_hypotheses = 2;
  small.max_evidence = 1;
  const auto two = rank(topo, small);
  ASSERT_EQ(two.size(), 2u);
  for (const auto& h : two) EXPECT_EQ(h.evidence.size(), 1u);
}

TEST_F(RankerTest, IsDeterministicAndBreaksTiesByName) {
  using B = IncidentBuilder;
  // Three identical services at the same instant: only the name can order them.
  b_.add(B::alert("a-1", kT0, "Down", "charlie", "", "critical"));
  b_.add(B::alert("a-2", kT0, "Down", "alpha", "", "critical"));
  b_.add(B::alert("a-3", kT0, "Down", "bravo", "", "critical"));
  const auto first = rank(core::Topology{});
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(key(first[0]), "svc:alpha");
  EXPECT_EQ(key(first[1]), "svc:bravo");
  EXPECT_EQ(key(first[2]), "svc:charlie");
  RootCauseRanker reused;
  std::vector<Hypothesis> again;
  for (int i = 0; i < 3; ++i) {
    reused.rank(b_.incident(), b_.members(), core::Topology{}, b_.interner(), again);
    ASSERT_EQ(again.size(), first.size());
    for (std::size_t k = 0; k < again.size(); ++k) {
      EXPECT_EQ(again[k].service, first[k].service);
      EXPECT_EQ(again[k].score, first[k].score);
      EXPECT_EQ(again[k].reasons, first[k].reasons);
      EXPECT_EQ(again[k].evidence, first[k].evidence);
    }
  }
}

TEST_F(RankerTest, EmptyIncidentHasNoHypotheses) { EXPECT_TRUE(rank(core::Topology{}).empty()); }

}  // namespace
}  // namespace squall::rca
