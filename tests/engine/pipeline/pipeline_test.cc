// Pipeline: same output whatever the thread counts, nothing lost under backpressure, rejections
// counted with their lines.
#include "engine/pipeline/pipeline.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "tools/storm/storm.h"

namespace squall::pipeline {
namespace {

namespace fs = std::filesystem;

// Records everything a partition's correlator reports, as text (compared byte for byte).
class Recorder final : public PartitionHooks, public correlate::Listener {
 public:
  correlate::Listener& listener() override { return *this; }
  void on_input(const core::AlertBatch& batch, const core::Alert& alert,
                std::uint64_t seq) override {
    log_ += "in " + std::to_string(seq) + ' ' + std::string(batch.str(alert.id)) + '\n';
    if (alert.kind == core::Kind::kAlert) inputs_.push_back(seq);
  }
  void on_assigned(std::uint64_t seq, const core::Incident& incident) override {
    log_ += "as " + std::to_string(seq) + ' ' + incident.id + '\n';
    assigned_.push_back(seq);
  }
  void on_assigned_closed(std::uint64_t seq, std::string_view id, std::uint64_t) override {
    log_ += "as " + std::to_string(seq) + ' ' + std::string(id) + '\n';
    assigned_.push_back(seq);
  }
  void on_merged(const core::Incident& from, const core::Incident& into) override {
    log_ += "mg " + from.id + ' ' + into.id + '\n';
  }
  void on_incident(const core::Incident& incident, correlate::IncidentEvent event,
                   std::int64_t watermark) override {
    log_ += "ev " + incident.id + ' ' + std::to_string(static_cast<int>(event)) + ' ' +
            std::to_string(watermark) + ' ' + std::to_string(incident.alerts_total) + ' ' +
            std::to_string(incident.members.size()) + '\n';
  }
  void on_tick(std::int64_t watermark) override { (void)watermark; }
  void on_finish() override { log_ += "finish\n"; }

  std::string log_;
  std::vector<std::uint64_t> inputs_;
  std::vector<std::uint64_t> assigned_;
};

struct Outcome {
  std::string log;  // partitions' logs, in partition order
  std::vector<std::uint64_t> inputs, assigned;
  Stats stats;
};

// Feeds `text` in chunks of about `chunk_bytes`, split at line boundaries.
Outcome run(const std::string& text, Options o, std::size_t chunk_bytes) {
  core::Interner interner;
  std::vector<Recorder*> recorders;
  Outcome out;
  {
    Pipeline p(std::move(o), interner, [&](std::uint32_t) {
      auto r = std::make_unique<Recorder>();
      recorders.push_back(r.get());
      return r;
    });
    std::size_t pos = 0;
    std::uint64_t line = 1;
    while (pos < text.size()) {
      std::size_t end = std::min(text.size(), pos + chunk_bytes);
      if (end < text.size()) {
        const std::size_t nl = text.rfind('\n', end - 1);
        end = (nl == std::string::npos || nl < pos) ? text.find('\n', pos) : nl;
        end = end == std::string::npos ? text.size() : end + 1;
      }
      Chunk* c = p.acquire(end - pos);
      c->assign(std::string_view(text).substr(pos, end - pos));
      c->first_line = line;
      line += static_cast<std::uint64_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(pos),
                                                    text.begin() + static_cast<std::ptrdiff_t>(end),
                                                    '\n'));
      p.submit(c);
      pos = end;
    }
    p.finish();
    out.stats = p.stats();
    for (Recorder* r : recorders) {
      out.log += r->log_;
      out.inputs.insert(out.inputs.end(), r->inputs_.begin(), r->inputs_.end());
      out.assigned.insert(out.assigned.end(), r->assigned_.begin(), r->assigned_.end());
    }
  }
  std::sort(out.inputs.begin(), out.inputs.end());
  std::sort(out.assigned.begin(), out.assigned.end());
  return out;
}

Options options(std::uint32_t parse_threads, std::uint32_t shard_threads,
                std::vector<std::string> partition_by = {}) {
  Options o;
  o.parse_threads = parse_threads;
  o.shard_threads = shard_threads;
  o.partition_by = std::move(partition_by);
  if (!o.partition_by.empty()) o.partitions = 4;
  o.now_ms = 1'700'000'000'000;
  return o;
}

class PipelineOnStorm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string tmpl = (fs::temp_directory_path() / "squall-pipeline-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    storm::StormOptions so;
    so.scenario = storm::Scenario::kBusyHour;
    so.seed = 7;
    so.alerts = 3000;
    so.out_dir = tmpl;
    auto summary = storm::generate_storm(so);
    ASSERT_TRUE(summary.has_value()) << summary.error().message;
    std::ifstream in(fs::path(tmpl) / "alerts.ndjson", std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    text_ = new std::string(ss.str());
    alerts_ = summary->alerts;
    changes_ = summary->changes;
    fs::remove_all(tmpl);
  }
  static void TearDownTestSuite() { delete text_; }
  static std::string* text_;
  static std::uint64_t alerts_, changes_;
};
std::string* PipelineOnStorm::text_ = nullptr;
std::uint64_t PipelineOnStorm::alerts_ = 0;
std::uint64_t PipelineOnStorm::changes_ = 0;

TEST_F(PipelineOnStorm, SameOutputWhateverTheThreadCounts) {
  const Outcome base = run(*text_, options(0, 0), 64 * 1024);
  ASSERT_EQ(base.stats.parse.accepted, alerts_ + changes_);
  ASSERT_EQ(base.stats.parse.rejected_total(), 0u);
  ASSERT_EQ(base.assigned.size(), alerts_);
  for (auto [p, s] : {std::pair{1u, 1u}, {2u, 1u}, {1u, 2u}, {2u, 2u}, {0u, 1u}}) {
    const Outcome r = run(*text_, options(p, s), 8 * 1024);
    EXPECT_TRUE(r.log == base.log) << "P=" << p << " S=" << s;  // no dump of the whole log
  }
}

TEST_F(PipelineOnStorm, PartitionedOutputIsTheSameForOneOrTwoShardThreads) {
  const Outcome base = run(*text_, options(1, 1, {"cluster"}), 16 * 1024);
  EXPECT_EQ(base.assigned.size(), alerts_);
  int partitions_used = 0;  // cluster-a and cluster-b must land in different partitions
  for (int i = 0; i < 4; ++i)
    partitions_used += base.log.find("inc-" + std::to_string(i) + "-") != std::string::npos;
  EXPECT_GE(partitions_used, 2);
  for (auto [p, s] : {std::pair{2u, 2u}, {2u, 3u}, {0u, 2u}, {0u, 0u}}) {
    const Outcome r = run(*text_, options(p, s, {"cluster"}), 4 * 1024);
    EXPECT_TRUE(r.log == base.log) << "P=" << p << " S=" << s;  // no dump of the whole log
  }
}

TEST_F(PipelineOnStorm, TinyPoolPushesBackAndLosesNothing) {
  Options o = options(2, 2, {"cluster"});
  o.chunks_in_flight = 2;
  const Outcome r =
      run(*text_, o, 512);  // a few lines per chunk: thousands of chunks through 2 slots
  EXPECT_GT(r.stats.chunks, 100u);
  EXPECT_EQ(r.stats.parse.accepted, alerts_ + changes_);
  EXPECT_EQ(r.assigned, r.inputs);  // every accepted alert assigned, once
  EXPECT_EQ(r.assigned.size(), alerts_);
}

TEST(Pipeline, SeqIsTheIndexAmongAcceptedInputsAndRejectionsCarryTheirLine) {
  const std::string text =
      R"({"id":"a1","ts":1000,"labels":{"alertname":"A","service":"x"}})"
      "\n"
      "not json\n"
      "\n"
      R"({"id":"a2","ts":2000,"labels":{"service":"x"}})"
      "\n"
      R"({"id":"c1","ts":2500,"kind":"change","labels":{"alertname":"Deploy","service":"x","change_type":"deploy"}})"
      "\n"
      R"({"id":"a3","ts":3000,"labels":{"alertname":"B","service":"x"}})"
      "\n";
  for (std::size_t chunk : {std::size_t{1}, std::size_t{4096}}) {
    const Outcome r = run(text, options(2, 1), chunk);
    EXPECT_THAT(r.inputs, ::testing::ElementsAre(0u, 2u));  // a1, a3 (c1 is seq 1)
    EXPECT_EQ(r.assigned, r.inputs);
    EXPECT_EQ(r.stats.parse.accepted, 3u);
    EXPECT_EQ(r.stats.parse.rejected_for(parse::Reject::kBadJson), 1u);
    EXPECT_EQ(r.stats.parse.rejected_for(parse::Reject::kNoAlertname), 1u);
    ASSERT_EQ(r.stats.reject_samples.size(), 2u);
    EXPECT_EQ(r.stats.reject_samples[0].line, 2u);
    EXPECT_EQ(r.stats.reject_samples[1].line, 4u);
  }
}

// An idle shard thread parks (sleeps until woken, so an idle server costs no CPU); a chunk handed
// to it later wakes it, and so does finish(). A lost wake-up would leave the second alert
// uncorrelated (the wait below gives up after 10 s) or hang finish().
TEST(Pipeline, AParkedShardWakesForNewInputAndForFinish) {
  core::Interner interner;
  Pipeline p(options(1, 1), interner, [](std::uint32_t) { return std::make_unique<Recorder>(); });
  auto feed = [&](std::string_view line) {
    Chunk* c = p.acquire(line.size());
    c->assign(line);
    p.submit(c);
  };
  auto wait_for = [&](auto done) {
    for (int i = 0; i < 10'000 && !done(p.live()); ++i) usleep(1000);
    return done(p.live());
  };
  feed(R"({"id":"a1","ts":1000,"labels":{"alertname":"A","service":"x"}})"
       "\n");
  ASSERT_TRUE(wait_for([](const LiveStats& l) { return l.inputs_correlated == 1; }));
  ASSERT_TRUE(wait_for([](const LiveStats& l) { return l.shard_parks >= 1; }));
  const std::uint64_t parks = p.live().shard_parks;
  feed(R"({"id":"a2","ts":2000,"labels":{"alertname":"B","service":"y"}})"
       "\n");
  EXPECT_TRUE(wait_for([](const LiveStats& l) { return l.inputs_correlated == 2; }));
  ASSERT_TRUE(wait_for([&](const LiveStats& l) { return l.shard_parks > parks; }));
  p.finish();
  EXPECT_EQ(p.stats().correlate.alerts, 2u);
}

// Small bodies staged by a live producer share one chunk: nothing reaches the shards before
// flush(), everything staged does after it, in staging order, and a body's rejections are its own.
// With every chunk in flight, stage() takes nothing (the caller answers 429); a staged chunk
// that reaches kStagedAlerts goes by itself.
TEST(Pipeline, StagedBodiesShareAChunkAndGoAtFlush) {
  core::Interner interner;
  Options o = options(0, 1);
  o.chunks_in_flight = 2;
  std::vector<Recorder*> recorders;
  Pipeline p(o, interner, [&](std::uint32_t) {
    auto r = std::make_unique<Recorder>();
    recorders.push_back(r.get());
    return r;
  });
  Producer& prod = p.add_producer();
  Producer& hog = p.add_producer();
  auto body = [](int i) {
    return R"({"id":"s)" + std::to_string(i) + R"(","ts":)" + std::to_string(1000 + i) +
           R"(,"labels":{"alertname":"A","service":"x"}})" + "\n";
  };
  for (int i = 0; i < 5; ++i) {
    const std::optional<Submitted> r = prod.stage(body(i), parse::Format::kNative, false);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->accepted, 1u);
    EXPECT_EQ(r->rejected, 0u);
  }
  const std::optional<Submitted> bad = prod.stage("{oops\n", parse::Format::kNative, false);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->accepted, 0u);
  EXPECT_EQ(bad->rejected, 1u);
  EXPECT_EQ(bad->first_reject, parse::Reject::kBadJson);
  EXPECT_TRUE(prod.staged());
  EXPECT_EQ(p.live().chunks_in_flight, 1u);  // five requests, one chunk
  EXPECT_EQ(p.live().inputs_dispatched, 0u);
  prod.flush();
  EXPECT_FALSE(prod.staged());
  EXPECT_EQ(p.live().inputs_dispatched, 5u);

  // Every chunk held elsewhere: nothing is taken.
  Chunk* held[2] = {nullptr, nullptr};
  for (Chunk*& c : held)
    while (!(c = hog.try_acquire(0))) usleep(1000);
  EXPECT_FALSE(prod.stage(body(9), parse::Format::kNative, false).has_value());
  for (Chunk* c : held) hog.release_unused(c);

  // A full staged chunk goes by itself.
  std::string many;
  for (std::size_t i = 0; i < Producer::kStagedAlerts; ++i) many += body(100 + static_cast<int>(i));
  ASSERT_TRUE(prod.stage(many, parse::Format::kNative, false).has_value());
  EXPECT_FALSE(prod.staged());
  EXPECT_EQ(p.live().inputs_dispatched, 5u + Producer::kStagedAlerts);
  prod.flush();  // nothing open: nothing happens
  p.finish();
  ASSERT_EQ(recorders.size(), 1u);
  EXPECT_EQ(recorders[0]->inputs_.size(), 5u + Producer::kStagedAlerts);
  // In staging order, the rejected body taking no sequence number.
  EXPECT_TRUE(
      recorders[0]->log_.starts_with("in 0 s0\nin 1 s1\nin 2 s2\nin 3 s3\nin 4 s4\n"
                                     "in 5 s100\n"))
      << recorders[0]->log_.substr(0, 200);
}

TEST(Pipeline, ReadsOneAlertmanagerBodyPerLine) {
  const std::string text =
      R"([{"labels":{"alertname":"A","service":"x"},"startsAt":"2026-11-24T03:00:00Z"},)"
      R"( {"labels":{"alertname":"B","service":"x"},"startsAt":"2026-11-24T03:00:01Z"}])"
      "\n"
      R"({"not":"an array"})"
      "\n"
      R"([{"labels":{"alertname":"C","service":"x"},"startsAt":"2026-11-24T03:00:02Z"}])"
      "\n";
  Options o = options(1, 1);
  o.format = parse::Format::kAlertmanagerV2;
  const Outcome r = run(text, o, 4096);
  EXPECT_EQ(r.assigned.size(), 3u);
  EXPECT_EQ(r.stats.parse.rejected_for(parse::Reject::kNotArray), 1u);
  ASSERT_EQ(r.stats.reject_samples.size(), 1u);
  EXPECT_EQ(r.stats.reject_samples[0].line, 2u);
}

TEST(Pipeline, ValidateNamesTheField) {
  Options o;
  o.parse_threads = 2;
  o.shard_threads = 0;
  ASSERT_FALSE(validate(o).has_value());
  EXPECT_THAT(validate(o).error().message, ::testing::HasSubstr("shard_threads 0"));
  o = Options{};
  o.partitions = 4;
  EXPECT_FALSE(validate(o).has_value());
  o.partition_by = {"cluster"};
  EXPECT_TRUE(validate(o).has_value());
}

}  // namespace
}  // namespace squall::pipeline
