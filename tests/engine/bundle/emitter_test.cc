#include "engine/bundle/emitter.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "engine/correlate/correlator.h"
#include "tests/engine/rca/incident_builder.h"

namespace squall::bundle {
namespace {

using correlate::IncidentEvent;
using testkit::IncidentBuilder;
using testkit::kT0;
constexpr std::int64_t kSec = 1000;

struct Emitted {
  std::string incident;
  std::uint64_t version;
  std::string state;
  std::string json;
};

class RecordingSink : public Sink {
 public:
  void on_assigned(std::uint64_t seq, std::string_view id) override {
    assigned.emplace_back(seq, std::string(id));
  }
  void on_merged(std::string_view from, std::string_view into) override {
    merged.emplace_back(std::string(from), std::string(into));
  }
  void on_bundle(const core::Incident& incident, std::string_view json) override {
    simdjson::dom::element doc;
    EXPECT_EQ(parser.parse(json.data(), json.size()).get(doc), simdjson::SUCCESS);
    bundles.push_back(Emitted{incident.id, doc["version"].get_uint64().value(),
                              std::string(doc["state"].get_string().value()), std::string(json)});
  }
  std::vector<std::pair<std::uint64_t, std::string>> assigned;
  std::vector<std::pair<std::string, std::string>> merged;
  std::vector<Emitted> bundles;
  simdjson::dom::parser parser;
};

class EmitterTest : public ::testing::Test {
 protected:
  EmitterTest() {
    config_.group_wait_ms = 30 * kSec;
    config_.min_interval_ms = 60 * kSec;
    emitter_ = std::make_unique<Emitter>(config_, b_.interner(), sink_);
    emitter_->attach(b_.members(), topo_, [this](std::uint32_t slot) -> const core::Incident* {
      return slot == 0 && b_.incident().open ? &b_.incident() : nullptr;
    });
  }
  void open_at(std::int64_t ts) {
    b_.add(IncidentBuilder::alert("a-1", ts, "HighErrorRate", "orders", "n1", "warning"));
    emitter_->on_incident(b_.incident(), IncidentEvent::kOpened, ts);
  }
  void update(std::string_view line, std::int64_t watermark) {
    b_.add(line);
    emitter_->on_incident(b_.incident(), IncidentEvent::kUpdated, watermark);
  }
  void close_at(std::int64_t ts) {
    b_.incident().open = false;
    b_.incident().closed_at = ts;
    emitter_->on_incident(b_.incident(), IncidentEvent::kClosed, ts);
  }

  Config config_;
  IncidentBuilder b_;
  core::Topology topo_;
  RecordingSink sink_;
  std::unique_ptr<Emitter> emitter_;
};

TEST_F(EmitterTest, WaitsForGroupWaitBeforeTheFirstBundle) {
  open_at(kT0);
  emitter_->on_tick(kT0 + 29 * kSec);
  EXPECT_TRUE(sink_.bundles.empty());
  emitter_->on_tick(kT0 + 30 * kSec);
  ASSERT_EQ(sink_.bundles.size(), 1u);
  EXPECT_EQ(sink_.bundles[0].version, 1u);
  EXPECT_EQ(sink_.bundles[0].state, "open");
  emitter_->on_tick(kT0 + 31 * kSec);  // nothing new: nothing more
  EXPECT_EQ(sink_.bundles.size(), 1u);
}

TEST_F(EmitterTest, RateLimitsMaterialUpdates) {
  open_at(kT0);
  emitter_->on_tick(kT0 + 30 * kSec);
  ASSERT_EQ(sink_.bundles.size(), 1u);
  // A new service is material, but the last bundle went out 10 s ago.
  update(IncidentBuilder::alert("a-2", kT0 + 40 * kSec, "HighLatency", "checkout", "", "warning"),
         kT0 + 40 * kSec);
  update(IncidentBuilder::alert("a-3", kT0 + 50 * kSec, "Errors", "frontend", "", "warning"),
         kT0 + 50 * kSec);
  emitter_->on_tick(kT0 + 89 * kSec);
  EXPECT_EQ(sink_.bundles.size(), 1u);
  emitter_->on_tick(kT0 + 90 * kSec);
  ASSERT_EQ(sink_.bundles.size(), 2u);  // both updates in one bundle
  EXPECT_EQ(sink_.bundles[1].version, 2u);
  EXPECT_NE(sink_.bundles[1].json.find("frontend"), std::string::npos);
}

TEST_F(EmitterTest, SkipsUpdatesThatChangeNothingMaterial) {
  open_at(kT0);
  emitter_->on_tick(kT0 + 30 * kSec);
  ASSERT_EQ(sink_.bundles.size(), 1u);
  // A repeat of the same alert: same services, nodes, severity, members and top hypothesis.
  update(IncidentBuilder::alert("a-1", kT0 + 45 * kSec, "HighErrorRate", "orders", "n1", "warning"),
         kT0 + 45 * kSec);
  for (std::int64_t t = 46; t <= 300; ++t) emitter_->on_tick(kT0 + t * kSec);
  EXPECT_EQ(sink_.bundles.size(), 1u);
  EXPECT_EQ(emitter_->stats().skipped_updates, 1u);
  // Higher severity is material.
  update(IncidentBuilder::alert("a-9", kT0 + 301 * kSec, "Down", "orders", "n1", "critical"),
         kT0 + 301 * kSec);
  EXPECT_EQ(sink_.bundles.size(), 2u);
}

TEST_F(EmitterTest, EmitsOneFinalBundleOnClose) {
  open_at(kT0);
  emitter_->on_tick(kT0 + 30 * kSec);
  EXPECT_EQ(emitter_->tracked(), 1u);
  close_at(kT0 + 40 * kSec);
  ASSERT_EQ(sink_.bundles.size(), 2u);
  EXPECT_EQ(sink_.bundles[1].version, 2u);
  EXPECT_EQ(sink_.bundles[1].state, "closed");
  EXPECT_EQ(emitter_->tracked(), 0u);
  EXPECT_EQ(emitter_->stats().final_bundles, 1u);
  emitter_->on_tick(kT0 + 1000 * kSec);
  EXPECT_EQ(sink_.bundles.size(), 2u);
}

TEST_F(EmitterTest, AnIncidentClosedWithinGroupWaitGetsOnlyItsFinalBundle) {
  open_at(kT0);
  emitter_->on_tick(kT0 + 10 * kSec);
  close_at(kT0 + 20 * kSec);
  ASSERT_EQ(sink_.bundles.size(), 1u);
  EXPECT_EQ(sink_.bundles[0].version, 1u);
  EXPECT_EQ(sink_.bundles[0].state, "closed");
}

TEST_F(EmitterTest, WithoutLookupDueBundlesGoOutAtTheNextCallback) {
  emitter_->attach(b_.members(), topo_, nullptr);
  open_at(kT0);
  emitter_->on_tick(kT0 + 40 * kSec);
  EXPECT_TRUE(sink_.bundles.empty());
  update(IncidentBuilder::alert("a-2", kT0 + 41 * kSec, "HighLatency", "checkout", "", "warning"),
         kT0 + 41 * kSec);
  ASSERT_EQ(sink_.bundles.size(), 1u);
  EXPECT_EQ(sink_.bundles[0].version, 1u);
}

TEST_F(EmitterTest, ForwardsAssignmentsAndMergesAndForgetsTheMergedIncident) {
  open_at(kT0);
  emitter_->on_assigned(7, b_.incident());
  ASSERT_EQ(sink_.assigned.size(), 1u);
  EXPECT_EQ(sink_.assigned[0], (std::pair<std::uint64_t, std::string>{7, "inc-0-1"}));
  core::Incident into;
  into.id = "inc-0-2";
  into.number = 2;
  b_.incident().merged_into = 1;
  b_.incident().open = false;
  emitter_->on_merged(b_.incident(), into);
  ASSERT_EQ(sink_.merged.size(), 1u);
  EXPECT_EQ(sink_.merged[0].first, "inc-0-1");
  EXPECT_EQ(sink_.merged[0].second, "inc-0-2");
  EXPECT_EQ(emitter_->tracked(), 0u);
  emitter_->on_tick(kT0 + 100 * kSec);
  EXPECT_TRUE(sink_.bundles.empty());
}

// With the real correlator: every incident ends with exactly one closed bundle, versions count up.
TEST(EmitterWithCorrelator, EveryIncidentEndsWithOneClosedBundle) {
  core::Interner interner;
  parse::Parser parser(interner);
  core::AlertBatch batch;
  RecordingSink sink;
  Config config;
  config.group_wait_ms = 10 * kSec;
  config.min_interval_ms = 20 * kSec;
  Emitter emitter(config, interner, sink);
  auto topo = std::make_shared<const core::Topology>(core::Topology::build(
      {{"checkout", {"orders"}}, {"orders", {"db-orders"}}, {"db-orders", {}}}, interner, 3));
  correlate::Correlator correlator(correlate::Config{}, topo, interner, emitter);
  emitter.attach(correlator);
  std::uint64_t seq = 0;
  auto feed = [&](const std::string& line) {
    batch.clear();
    ASSERT_TRUE(parser.parse_native(line, batch, kT0));
    correlator.add(batch, batch.alerts[0], seq++);
  };
  const char* services[] = {"db-orders", "orders", "checkout"};
  for (int i = 0; i < 60; ++i)
    feed(IncidentBuilder::alert("a-" + std::to_string(i), kT0 + i * 5 * kSec,
                                i < 3 ? "Down" : "HighErrorRate", services[i % 3], "",
                                i < 30 ? "warning" : "critical",
                                fmt::format(R"(,"pod":"p-{}")", i % 9)));
  correlator.finish();
  EXPECT_EQ(sink.assigned.size(), 60u);
  ASSERT_FALSE(sink.bundles.empty());
  std::map<std::string, std::vector<const Emitted*>> by_incident;
  for (const auto& b : sink.bundles) {
    by_incident[b.incident].push_back(&b);
    SCOPED_TRACE(b.json);
  }
  for (const auto& [id, list] : by_incident) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      EXPECT_EQ(list[i]->version, i + 1) << id;
      EXPECT_EQ(list[i]->state, i + 1 == list.size() ? "closed" : "open") << id;
    }
  }
  EXPECT_EQ(emitter.tracked(), 0u);
  // A 5-minute incident updated every 5 s still gets only a handful of bundles.
  EXPECT_LE(sink.bundles.size(), 20u);
}

}  // namespace
}  // namespace squall::bundle
