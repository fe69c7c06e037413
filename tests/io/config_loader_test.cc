#include "io/config_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace squall::io {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ConfigLoader, RoleLabelsTakeAListInPriorityOrder) {
  EngineConfig c;
  auto r = parse_engine_config("correlate: {role_labels: {node: [kubernetes_node, host]}}\n",
                               "c.yaml", c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_THAT(c.correlate.role_labels[static_cast<std::size_t>(core::Role::kNode)],
              ElementsAre("kubernetes_node", "host"));
  r = parse_engine_config("correlate: {role_labels: {node: []}}\n", "c.yaml", c);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("correlate.role_labels.node"));
}

TEST(ConfigLoader, ReadsEverySectionAndKeepsDefaultsElsewhere) {
  EngineConfig c;
  auto r = parse_engine_config(
      "correlate:\n"
      "  link_threshold: 0.6\n"
      "  quiet_period_ms: 5m\n"
      "  allowed_lateness_ms: 2500\n"
      "  max_hops: 2\n"
      "  hop_delay_ms: 90s\n"
      "  onset_boost: 1.5\n"
      "  role_labels: {service: app}\n"
      "  weak_dimensions: [team]\n"
      "bundle: {max_bytes: 8192, group_wait_ms: 10s}\n"
      "rca: {max_hypotheses: 3}\n"
      "parse: {max_labels: 32}\n"
      "pipeline: {partition_by: [cluster], partitions: 8}\n",
      "c.yaml", c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_DOUBLE_EQ(c.correlate.link_threshold, 0.6);
  EXPECT_EQ(c.correlate.quiet_period_ms, 300'000);
  EXPECT_EQ(c.correlate.allowed_lateness_ms, 2'500);
  EXPECT_EQ(c.correlate.max_hops, 2);
  EXPECT_EQ(c.correlate.hop_delay_ms, 90'000);
  EXPECT_DOUBLE_EQ(c.correlate.onset_boost, 1.5);
  EXPECT_EQ(c.correlate.role_labels[static_cast<std::size_t>(core::Role::kService)],
            std::vector<std::string>{"app"});
  EXPECT_EQ(c.correlate.role_labels[static_cast<std::size_t>(core::Role::kNode)].front(), "node");
  EXPECT_THAT(c.correlate.weak_dimensions, ElementsAre("team"));
  EXPECT_EQ(c.correlate.resolve_grace_ms, correlate::Config{}.resolve_grace_ms);
  EXPECT_EQ(c.bundle.max_bytes, 8192u);
  EXPECT_EQ(c.bundle.group_wait_ms, 10'000);
  EXPECT_EQ(c.rca.max_hypotheses, 3u);
  EXPECT_EQ(c.parse.max_labels, 32u);
  EXPECT_THAT(c.partition_by, ElementsAre("cluster"));
  EXPECT_EQ(c.partitions, 8u);
}

TEST(ConfigLoader, UnknownKeysAreErrorsNamingTheKey) {
  EngineConfig c;
  auto r = parse_engine_config("correlate:\n  link_treshold: 0.5\n", "c.yaml", c);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "c.yaml:2: correlate.link_treshold: unknown key");
  r = parse_engine_config("outputs: {}\n", "c.yaml", c);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("c.yaml:1: outputs: unknown key"));
  r = parse_engine_config("correlate: {role_labels: {svc: app}}\n", "c.yaml", c);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("correlate.role_labels.svc: unknown role"));
}

TEST(ConfigLoader, BadValuesNameTheKeyAndLeaveTheConfigUntouched) {
  EngineConfig c;
  auto r = parse_engine_config("bundle:\n  max_bytes: lots\n", "c.yaml", c);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message, "c.yaml:2: bundle.max_bytes: expected a non-negative integer");
  r = parse_engine_config("correlate: {quiet_period_ms: 10 minutes}\n", "c.yaml", c);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("correlate.quiet_period_ms:"));
  r = parse_engine_config("correlate: {link_threshold: 0.7, max_hops: [1]}\n", "c.yaml", c);
  ASSERT_FALSE(r.has_value());
  EXPECT_DOUBLE_EQ(c.correlate.link_threshold, correlate::Config{}.link_threshold);
}

TEST(ConfigLoader, RangesAreCheckedByTheCorrelator) {
  EngineConfig c;
  auto r = parse_engine_config("correlate: {link_threshold: -3}\n", "c.yaml", c);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("link_threshold"));
  r = parse_engine_config("correlate: {closed_memory_max: 0}\n", "c.yaml", c);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("closed_memory_max"));
  r = parse_engine_config("correlate: {flap_window_ms: 720h}\n", "c.yaml", c);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("flap_window_ms"));
  r = parse_engine_config("correlate: {closed_memory_ms: 1h, closed_memory_max: 1000}\n", "c.yaml",
                          c);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(c.correlate.closed_memory_ms, 3'600'000);
  EXPECT_EQ(c.correlate.closed_memory_max, 1000u);
}

TEST(ConfigLoader, Durations) {
  EXPECT_EQ(parse_duration_ms("250").value(), 250);
  EXPECT_EQ(parse_duration_ms("250ms").value(), 250);
  EXPECT_EQ(parse_duration_ms("30s").value(), 30'000);
  EXPECT_EQ(parse_duration_ms("10m").value(), 600'000);
  EXPECT_EQ(parse_duration_ms("1h").value(), 3'600'000);
  EXPECT_FALSE(parse_duration_ms("1y").has_value());
  EXPECT_FALSE(parse_duration_ms("-1s").has_value());
  EXPECT_FALSE(parse_duration_ms("").has_value());
}

}  // namespace
}  // namespace squall::io
