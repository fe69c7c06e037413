// The grounding check: quotes and names must come from the bundle.
#include "plugins/drafters/common/grounding.h"

#include <gtest/gtest.h>

#include "tests/plugins/drafters/fixtures.h"

namespace squall::drafters {
namespace {

BundleView bundle() {
  auto b = parse_bundle(test::kBundle);
  EXPECT_TRUE(b) << b.error().message;
  return *b;
}

Draft with_evidence(std::vector<std::string> evidence, std::string likely_cause = "") {
  Draft d;
  d.evidence = std::move(evidence);
  d.likely_cause = std::move(likely_cause);
  d.needs_human_check = false;
  return d;
}

TEST(Grounding, FlagsAndExcludesEvidenceNotInTheBundle) {
  Draft d = with_evidence({"pool 100/100 connections in use", "disk /var full on ip-10-0-3-8",
                           "earliest onset", "the database was restarted at 16:01"});
  ground(d, bundle());
  EXPECT_EQ(d.evidence,
            (std::vector<std::string>{"pool 100/100 connections in use", "earliest onset"}));
  EXPECT_EQ(d.unsupported_evidence,
            (std::vector<std::string>{"disk /var full on ip-10-0-3-8",
                                      "the database was restarted at 16:01"}));
  EXPECT_EQ(d.grounding.checked, 4u);
  EXPECT_EQ(d.grounding.unsupported, 2u);
  EXPECT_TRUE(d.needs_human_check);
}

TEST(Grounding, AcceptsWhitespaceNormalizedQuotes) {
  // The bundle says "Connections to  db-orders\n  are saturated."
  Draft d = with_evidence({"Connections to db-orders are saturated.",
                           "  pool 100/100\n\tconnections   in use ",
                           "\"deploy orders@v2.3.1 (was orders@v2.3.0)\""});
  ground(d, bundle());
  EXPECT_EQ(d.evidence.size(), 3u);
  EXPECT_TRUE(d.unsupported_evidence.empty());
  EXPECT_EQ(d.grounding.unsupported, 0u);
}

TEST(Grounding, AcceptsKeyValueAndRawJsonQuotes) {
  Draft d = with_evidence({"alertname: ConnectionPoolExhausted", "service=db-orders",
                           R"("severity":"critical")", "service=billing", "a", ""});
  ground(d, bundle());
  EXPECT_EQ(d.evidence,
            (std::vector<std::string>{"alertname: ConnectionPoolExhausted", "service=db-orders",
                                      R"("severity":"critical")"}));
  EXPECT_EQ(d.unsupported_evidence, (std::vector<std::string>{"service=billing", "a", ""}));
}

TEST(Grounding, FlagsEntitiesInLikelyCauseThatAreNotInTheBundle) {
  Draft d =
      with_evidence({},
                    "payments-gateway crashed after orders@v2.4.0 reached node ip-10-0-9-9; "
                    "service:billing and db-orders are also involved, as in inc-0-17 and a-000101");
  ground(d, bundle());
  EXPECT_EQ(d.unsupported_entities, (std::vector<std::string>{"payments-gateway", "orders@v2.4.0",
                                                              "ip-10-0-9-9", "billing"}));
  EXPECT_EQ(d.grounding.checked, 7u);  // + db-orders, inc-0-17, a-000101
  EXPECT_EQ(d.grounding.unsupported, 4u);
}

TEST(Grounding, FlagsInventedHyphenatedNamesButNotAdjectives) {
  Draft d = with_evidence({},
                          "inventory-service and orders-primary failed; the checkout-web "
                          "service and the crash-looping pods on node worker-a; a top-ranked "
                          "cause in shop");
  ground(d, bundle());
  // -service suffix; shares `orders`; next to a kind word (twice); but not the adjectives.
  EXPECT_EQ(d.unsupported_entities, (std::vector<std::string>{"inventory-service", "orders-primary",
                                                              "checkout-web", "worker-a"}));
}

TEST(Grounding, KnowsTheBundlesEntitiesInAnyForm) {
  Draft d = with_evidence({},
                          "likely cause: orders (score 0.86): deploy orders@v2.3.1 (was "
                          "orders@v2.3.0), 45s before onset; db-orders' pool on ip-10-0-3-8, "
                          "pod orders-7f9c4-2xk8p, node=ip-10-0-3-8, cluster eu-west-1.");
  ground(d, bundle());
  EXPECT_TRUE(d.unsupported_entities.empty()) << d.unsupported_entities.front();
  EXPECT_EQ(d.grounding.checked, 6u);
}

TEST(Grounding, DoesNotFlagOrdinaryEnglish) {
  const std::string_view text =
      "The follow-up errors and p99 latency spikes (5xx at 18%, 4xx/5xx) started 45s after a "
      "well-known, up-to-date root-cause: an out-of-memory re-deploy on 2025-11-24 at 16:00:45. "
      "See e.g. the on-call runbook for HTTP/2, k8s, ipv4 and x86-64; 30-second timeouts on a "
      "3-node cluster, high-latency, long-running, user-facing, read-only, non-zero, 2h5m, v2, "
      "3x, 1.5s, p99-latency, error-rate, connection-pool, ConnectionPoolExhausted, SLO-burn. "
      "The top-ranked, most depended-upon hypothesis: crash-looping pods, rate-limiting, "
      "back-pressure, a hot-spot, dead-letter and key-value stores, round-robin, best-effort, "
      "short-lived, third-party, client-side, open-source, trade-off, sign-in.";
  EXPECT_TRUE(entity_candidates(text, bundle()).empty())
      << ::testing::PrintToString(entity_candidates(text, bundle()));
  Draft d = with_evidence({}, std::string(text));
  ground(d, bundle());
  EXPECT_EQ(d.grounding.unsupported, 0u);
  EXPECT_EQ(d.grounding.checked, 0u);
}

TEST(Grounding, FindsNamesShapedLikeEntities) {
  const BundleView b = bundle();
  EXPECT_EQ(entity_candidates("db-orders, ip-10-0-3-8. orders@v2.3.1: node-01 (web_2) 10.0.3.8", b),
            (std::vector<std::string>{"db-orders", "ip-10-0-3-8", "orders@v2.3.1", "node-01",
                                      "web_2", "10.0.3.8"}));
  EXPECT_EQ(entity_candidates("service:checkout host=api1 deployment/orders", b),
            (std::vector<std::string>{"checkout", "api1"}));
}

TEST(Normalize, CollapsesWhitespace) {
  EXPECT_EQ(normalize_whitespace("  a \t\n b  c "), "a b c");
  EXPECT_EQ(normalize_whitespace(""), "");
}

}  // namespace
}  // namespace squall::drafters
