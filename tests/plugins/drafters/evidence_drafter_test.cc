// The evidence drafter: a deterministic draft built only from the bundle.
#include "plugins/drafters/evidence/evidence_drafter.h"

#include <gtest/gtest.h>

#include "plugins/drafters/common/runbook.h"
#include "plugins/drafters/registry.h"
#include "tests/plugins/drafters/fixtures.h"

namespace squall::drafters {
namespace {

Draft draft_of(std::string_view bundle, const DrafterConfig& config = {}) {
  EvidenceDrafter drafter(config);
  auto r = drafter.draft(bundle);
  EXPECT_TRUE(r) << r.error().message;
  return r ? r->draft : Draft{};
}

TEST(EvidenceDrafter, DraftsTheKnownBundle) {
  const Draft d = draft_of(test::kBundle);
  EXPECT_EQ(d.incident, "inc-0-17");
  EXPECT_EQ(d.bundle_version, 4u);
  EXPECT_EQ(d.drafter, "evidence");
  EXPECT_EQ(d.likely_cause,
            "likely cause: orders (score 0.86): earliest onset; deploy orders@v2.3.1 (was "
            "orders@v2.3.0), 45s before onset; 2 dependents alerting after it");
  EXPECT_DOUBLE_EQ(d.confidence, 0.86);
  EXPECT_EQ(d.evidence, (std::vector<std::string>{
                            "earliest onset",
                            "deploy orders@v2.3.1 (was orders@v2.3.0), 45s before onset",
                            "2 dependents alerting after it",
                            "deploy orders@v2.3.1 (was orders@v2.3.0)",
                            "HighErrorRate",
                            "5xx ratio 18% on POST /orders",
                            "ConnectionPoolExhausted",
                            "pool 100/100 connections in use",
                        }));
  EXPECT_EQ(d.suggested_action, "roll back orders@v2.3.1");
  EXPECT_EQ(d.timeline,
            "16:00:45 orders HighErrorRate \u00d714\n"
            "16:00:52 db-orders ConnectionPoolExhausted \u00d79\n"
            "16:01:11 checkout HighLatencyP99 \u00d731\n"
            "16:01:30 payments UpstreamTimeouts \u00d712\n"
            "16:01:42 NodeMemoryPressure \u00d72\n"
            "+1 more");
  EXPECT_TRUE(d.needs_human_check);
  EXPECT_EQ(d.grounding.checked, 10u);  // 8 quotes + orders@v2.3.1, orders@v2.3.0
  EXPECT_EQ(d.grounding.unsupported, 0u);
  EXPECT_TRUE(d.unsupported_evidence.empty());
  EXPECT_TRUE(d.fallback.empty());
}

TEST(EvidenceDrafter, IsDeterministic) {
  const std::string first = to_json(draft_of(test::kBundle));
  EvidenceDrafter drafter(DrafterConfig{});
  for (int i = 0; i < 3; ++i) {
    auto r = drafter.draft(test::kBundle);
    ASSERT_TRUE(r);
    EXPECT_EQ(to_json(r->draft), first);
  }
  EXPECT_EQ(first.substr(0, 64),
            R"({"incident":"inc-0-17","bundle_version":4,"drafter":"evidence",")");
}

TEST(EvidenceDrafter, SuggestsFromTheRunbookByHypothesisKind) {
  struct Case {
    std::string_view bundle;
    std::string_view likely_cause;
    std::string_view action;
  };
  const Case cases[] = {
      {R"({"incident":"i","version":1,"root_cause":[{"service":"db-orders","node":null,"score":0.7,"reasons":["earliest onset"],"evidence":[]}]})",
       "likely cause: db-orders (score 0.7): earliest onset",
       "check db-orders capacity/connections"},
      {R"({"incident":"i","version":1,"root_cause":[{"service":"sms-gateway","node":"ip-10-0-52-167","score":0.86,"reasons":["12 services alerting on this node"],"evidence":[]}]})",
       "likely cause: sms-gateway on node ip-10-0-52-167 (score 0.86): 12 services alerting on "
       "this node",
       "drain/inspect node ip-10-0-52-167"},
      {R"j({"incident":"i","version":1,"root_cause":[{"service":null,"node":null,"zone":"us-east-1b","score":0.93,"reasons":["6 services alerting in this zone (100% of those in a zone)"],"evidence":[]}]})j",
       "likely cause: zone us-east-1b (score 0.93): 6 services alerting in this zone (100% of "
       "those in a zone)",
       "check network reachability and provider status of zone us-east-1b"},
      {R"({"incident":"i","version":1,"root_cause":[{"service":"checkout","node":null,"score":0.5,"reasons":[],"evidence":[]}]})",
       "likely cause: checkout (score 0.5)",
       "inspect checkout: recent errors, saturation and the services it calls"},
      // A bundle without the "change" extension: the change on the service still counts.
      {R"({"incident":"i","version":1,"changes":[{"ts":0,"service":"orders","summary":"deploy orders@v2.3.1"}],"root_cause":[{"service":"orders","node":null,"score":0.9,"reasons":["earliest onset"],"evidence":[]}]})",
       "likely cause: orders (score 0.9): earliest onset", "roll back orders@v2.3.1"},
      {R"({"incident":"i","version":1,"root_cause":[{"service":"content-api","node":null,"score":0.6,"reasons":[],"evidence":[],"change":"config change to content-api: connection limits updated"}]})",
       "likely cause: content-api (score 0.6)",
       "review the change and revert it if it is the cause: config change to content-api: "
       "connection limits updated"},
      {R"({"incident":"i","version":1,"root_cause":[]})",
       "insufficient evidence: the bundle ranks no root-cause hypothesis",
       "read the timeline from the earliest alert and confirm the root cause"},
  };
  for (const Case& c : cases) {
    const Draft d = draft_of(c.bundle);
    EXPECT_EQ(d.likely_cause, c.likely_cause) << c.bundle;
    EXPECT_EQ(d.suggested_action, c.action) << c.bundle;
    EXPECT_EQ(d.grounding.unsupported, 0u) << c.bundle;
  }
  EXPECT_DOUBLE_EQ(draft_of(cases[6].bundle).confidence, 0.0);
  EXPECT_EQ(draft_of(cases[6].bundle).timeline, "no timeline in the bundle");
  EXPECT_EQ(draft_of(cases[4].bundle).evidence,
            (std::vector<std::string>{"earliest onset", "deploy orders@v2.3.1"}));
}

TEST(EvidenceDrafter, UserRunbookRulesComeFirst) {
  DrafterConfig c;
  c.runbook.push_back({"deploy", "orders@*", "page team-orders, then roll back {deploy}"});
  c.runbook.push_back({"deploy", "payments@*", "never used here"});
  EXPECT_EQ(draft_of(test::kBundle, c).suggested_action,
            "page team-orders, then roll back orders@v2.3.1");
  c.runbook = {{"deploy", "payments@*", "never used here"}};
  EXPECT_EQ(draft_of(test::kBundle, c).suggested_action, "roll back orders@v2.3.1");
}

TEST(EvidenceDrafter, RejectsABundleItCannotRead) {
  EvidenceDrafter drafter(DrafterConfig{});
  EXPECT_FALSE(drafter.draft("{not json"));
  EXPECT_FALSE(drafter.draft(R"({"version":1})"));
  EXPECT_FALSE(drafter.draft(R"({"incident":"i","version":1,"root_cause":{}})"));
}

TEST(Runbook, GlobsMatchAlternativesAndWildcards) {
  EXPECT_TRUE(glob_match("db-*|*-db", "orders-db"));
  EXPECT_TRUE(glob_match("*redis*", "cache-redis-0"));
  EXPECT_TRUE(glob_match("ip-10-0-?-8", "ip-10-0-3-8"));
  EXPECT_FALSE(glob_match("db-*|*-db", "checkout"));
  EXPECT_TRUE(glob_match("", "anything"));
}

TEST(Runbook, ClockTimeIsUtc) {
  EXPECT_EQ(clock_time(1764000045000), "16:00:45");
  EXPECT_EQ(clock_time(-1000), "23:59:59");
}

}  // namespace
}  // namespace squall::drafters
