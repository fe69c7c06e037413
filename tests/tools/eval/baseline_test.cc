#include "tools/eval/baseline.h"

#include <algorithm>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace squall::eval {
namespace {

using ::testing::HasSubstr;
using Strings = std::vector<std::string>;
constexpr std::int64_t kMin = 60 * 1000;

// Builds alerts by hand, labels sorted by name bytes as the parser leaves them.
class BatchBuilder {
 public:
  BatchBuilder& add(std::string_view id, std::int64_t ts,
                    std::vector<std::pair<std::string, std::string>> labels,
                    core::Kind kind = core::Kind::kAlert) {
    std::sort(labels.begin(), labels.end());
    core::Alert a;
    a.id = batch_.add_str(id);
    a.ts_ms = ts;
    a.kind = kind;
    a.labels_begin = static_cast<std::uint32_t>(batch_.labels.size());
    for (const auto& [name, value] : labels)
      batch_.labels.push_back({interner_.intern(name), interner_.intern(value)});
    a.labels_count = static_cast<std::uint32_t>(labels.size());
    batch_.alerts.push_back(a);
    return *this;
  }
  BaselineAssignment assign(std::string_view spec_text,
                            std::int64_t interval_ms = kDefaultGroupIntervalMs) {
    auto spec = parse_baseline(spec_text);
    EXPECT_TRUE(spec) << spec_text;
    spec->group_interval_ms = interval_ms;
    return assign_baseline(batch_, interner_, *spec);
  }

 private:
  core::Interner interner_;
  core::AlertBatch batch_;
};

TEST(Baseline, GroupsByLabelValuesAndEndsAGroupAfterFiveQuietMinutes) {
  BatchBuilder b;
  b.add("a1", 0, {{"alertname", "X"}, {"service", "A"}})
      .add("a2", 1 * kMin, {{"alertname", "Y"}, {"service", "B"}})
      .add("a3", 2 * kMin, {{"alertname", "Z"}, {"service", "A"}})
      .add("c1", 3 * kMin, {{"alertname", "Deploy"}, {"service", "A"}}, core::Kind::kChange)
      .add("a4", 7 * kMin, {{"alertname", "X"}, {"service", "A"}})  // exactly 5 min: same group
      .add("a5", 12 * kMin + 1, {{"alertname", "X"}, {"service", "A"}})  // 5 min + 1 ms: new group
      .add("a6", 12 * kMin + 2, {{"alertname", "X"}, {"node", "n1"}})    // no service: key ""
      .add("a7", 13 * kMin, {{"alertname", "Y"}, {"service", "B"}});     // B quiet 12 min: new
  const BaselineAssignment a = b.assign("group_by=service");
  EXPECT_EQ(a.alert_ids, (Strings{"a1", "a2", "a3", "a4", "a5", "a6", "a7"}));  // change skipped
  EXPECT_EQ(a.incident, (Strings{"g-1", "g-2", "g-1", "g-1", "g-3", "g-4", "g-5"}));
}

TEST(Baseline, OutOfOrderAlertsNeverEndAGroup) {
  BatchBuilder b;
  b.add("a1", 10 * kMin, {{"alertname", "X"}}).add("a2", 0, {{"alertname", "X"}});
  EXPECT_EQ(b.assign("group_by=alertname").incident, (Strings{"g-1", "g-1"}));
}

TEST(Baseline, GroupIntervalIsConfigurable) {
  BatchBuilder b;
  b.add("a1", 0, {{"alertname", "X"}}).add("a2", 2 * kMin, {{"alertname", "X"}});
  EXPECT_EQ(b.assign("group_by=alertname", 1 * kMin).incident, (Strings{"g-1", "g-2"}));
}

TEST(Baseline, KeysOnSeveralLabelsAndToleratesUnknownNames) {
  BatchBuilder b;
  b.add("a1", 0, {{"alertname", "X"}, {"service", "A"}, {"node", "n1"}})
      .add("a2", 1, {{"alertname", "X"}, {"service", "A"}, {"node", "n2"}})
      .add("a3", 2, {{"alertname", "Y"}, {"service", "A"}, {"node", "n1"}});
  EXPECT_EQ(b.assign("group_by=service,node").incident, (Strings{"g-1", "g-2", "g-1"}));
  // A label no alert carries is empty everywhere: everything falls in one group.
  EXPECT_EQ(b.assign("group_by=no_such_label").incident, (Strings{"g-1", "g-1", "g-1"}));
  EXPECT_EQ(b.assign("group_by=").incident, (Strings{"g-1", "g-1", "g-1"}));
}

TEST(Baseline, EllipsisGroupsByTheWholeLabelSet) {
  BatchBuilder b;
  b.add("a1", 0, {{"alertname", "X"}, {"pod", "p1"}})
      .add("a2", 1, {{"pod", "p1"}, {"alertname", "X"}})
      .add("a3", 2, {{"alertname", "X"}, {"pod", "p2"}})
      .add("a4", 3, {{"alertname", "X"}, {"pod", "p1"}, {"zone", "z"}});
  EXPECT_EQ(b.assign("group_by=...").incident, (Strings{"g-1", "g-1", "g-2", "g-3"}));
}

TEST(ParseBaseline, AcceptsLabelListsAndEllipsis) {
  auto s = parse_baseline("group_by=service,node,service");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->labels, (Strings{"service", "node"}));
  EXPECT_EQ(s->method(), "baseline group_by=service,node");
  auto all = parse_baseline("group_by=...");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->all_labels);
  EXPECT_EQ(all->method(), "baseline group_by=...");
  all->group_interval_ms = 60000;
  EXPECT_EQ(all->method(), "baseline group_by=... group_interval=60000ms");
}

TEST(ParseBaseline, RejectsMalformedSpecs) {
  for (const char* bad :
       {"service", "group_by=a,,b", "group_by=a,", "group_by=a,...", "groupby=a"}) {
    auto s = parse_baseline(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_THAT(s.error().message, HasSubstr("--baseline")) << bad;
  }
}

TEST(ParseDuration, ReadsUnits) {
  EXPECT_EQ(parse_duration_ms("5m"), 300000);
  EXPECT_EQ(parse_duration_ms("300s"), 300000);
  EXPECT_EQ(parse_duration_ms("1h"), 3600000);
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  for (const char* bad : {"", "5", "m", "-1s", "5 m", "5d", "99999999999999999999h"})
    EXPECT_FALSE(parse_duration_ms(bad)) << bad;
}

}  // namespace
}  // namespace squall::eval
