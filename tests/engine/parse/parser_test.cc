#include "engine/parse/parser.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/core/well_known.h"

namespace squall::parse {
namespace {

using core::AlertBatch;
using core::Interner;

constexpr std::int64_t kNow = 1764000000000LL;

class ParserTest : public ::testing::Test {
 protected:
  std::string label(const core::Alert& a, std::string_view name) {
    bool found = false;
    const core::Sym n = interner_.find(name, &found);
    if (!found) return "<absent>";
    const core::Sym v = batch_.label(a, n);
    return v == 0 ? "<absent>" : std::string(interner_.view(v));
  }
  Reject reject_of(std::string_view line) {
    auto r = parser_.parse_native(line, batch_, kNow);
    EXPECT_FALSE(r.has_value()) << line;
    return r ? Reject::kCount : r.error();
  }

  Interner interner_;
  Parser parser_{interner_};
  AlertBatch batch_;
};

TEST_F(ParserTest, ReadsNativeAlert) {
  const std::string line =
      R"({"id":"a-000123","ts":1764000000123,"status":"firing","labels":{"alertname":"HighErrorRate",)"
      R"("service":"checkout","node":"ip-10-0-3-8","severity":"critical"},"annotations":{"summary":"5xx ratio 18%"},"value":0.18})";
  ASSERT_TRUE(parser_.parse_native(line, batch_, kNow));
  ASSERT_EQ(batch_.size(), 1u);
  const core::Alert& a = batch_.alerts[0];
  EXPECT_EQ(batch_.str(a.id), "a-000123");
  EXPECT_EQ(a.ts_ms, 1764000000123LL);
  EXPECT_EQ(a.status, core::Status::kFiring);
  EXPECT_EQ(a.kind, core::Kind::kAlert);
  EXPECT_TRUE(a.has_value);
  EXPECT_DOUBLE_EQ(a.value, 0.18);
  EXPECT_EQ(a.labels_count, 4u);
  EXPECT_EQ(label(a, "service"), "checkout");
  EXPECT_EQ(batch_.label(a, core::sym::kAlertname), interner_.find("HighErrorRate"));
  ASSERT_EQ(a.annotations_count, 1u);
  EXPECT_EQ(batch_.str(batch_.annotations_of(a)[0].name), "summary");
  EXPECT_EQ(batch_.str(batch_.annotations_of(a)[0].value), "5xx ratio 18%");
}

TEST_F(ParserTest, SortsLabelsByNameBytes) {
  ASSERT_TRUE(parser_.parse_native(
      R"({"labels":{"zeta":"1","Alpha":"2","alertname":"X","beta":"3"}})", batch_, kNow));
  const core::Alert& a = batch_.alerts[0];
  std::vector<std::string_view> names;
  for (std::uint32_t i = 0; i < a.labels_count; ++i)
    names.push_back(interner_.view(batch_.labels_of(a)[i].name));
  EXPECT_EQ(names, (std::vector<std::string_view>{"Alpha", "alertname", "beta", "zeta"}));
}

TEST_F(ParserTest, FingerprintIgnoresOrderAndAnnotations) {
  ASSERT_TRUE(parser_.parse_native(
      R"({"labels":{"alertname":"A","service":"s"},"annotations":{"x":"1"}})", batch_, kNow));
  ASSERT_TRUE(parser_.parse_native(
      R"({"labels":{"service":"s","alertname":"A"},"annotations":{"x":"2"}})", batch_, kNow));
  ASSERT_TRUE(parser_.parse_native(R"({"labels":{"service":"t","alertname":"A"}})", batch_, kNow));
  EXPECT_EQ(batch_.alerts[0].fingerprint, batch_.alerts[1].fingerprint);
  EXPECT_NE(batch_.alerts[0].fingerprint, batch_.alerts[2].fingerprint);
  core::FingerprintBuilder fp;
  fp.add("alertname", "A");
  fp.add("service", "s");
  EXPECT_EQ(batch_.alerts[0].fingerprint, fp.value());
}

TEST_F(ParserTest, EmptyLabelValueIsAbsent) {
  ASSERT_TRUE(parser_.parse_native(R"({"labels":{"alertname":"A","service":""}})", batch_, kNow));
  ASSERT_TRUE(parser_.parse_native(R"({"labels":{"alertname":"A"}})", batch_, kNow));
  EXPECT_EQ(batch_.alerts[0].labels_count, 1u);
  EXPECT_EQ(batch_.alerts[0].fingerprint, batch_.alerts[1].fingerprint);
}

TEST_F(ParserTest, AcceptsRfc3339AndStartsAtAlias) {
  ASSERT_TRUE(parser_.parse_native(R"({"ts":"2025-11-24T16:00:00.5Z","labels":{"alertname":"A"}})",
                                   batch_, kNow));
  ASSERT_TRUE(parser_.parse_native(
      R"({"startsAt":"2025-11-24T16:00:01Z","labels":{"alertname":"A"}})", batch_, kNow));
  ASSERT_TRUE(
      parser_.parse_native(R"({"startsAt":5,"ts":7,"labels":{"alertname":"A"}})", batch_, kNow));
  ASSERT_TRUE(parser_.parse_native(R"({"labels":{"alertname":"A"}})", batch_, kNow));
  EXPECT_EQ(batch_.alerts[0].ts_ms, 1764000000500LL);
  EXPECT_EQ(batch_.alerts[1].ts_ms, 1764000001000LL);
  EXPECT_EQ(batch_.alerts[2].ts_ms, 7);
  EXPECT_EQ(batch_.alerts[3].ts_ms, kNow);  // missing ts: the caller's clock
}

TEST_F(ParserTest, DerivesIdFromFingerprintAndTs) {
  ASSERT_TRUE(parser_.parse_native(R"({"ts":42,"labels":{"alertname":"A"}})", batch_, kNow));
  char hex[16];
  core::format_fingerprint(batch_.alerts[0].fingerprint, hex);
  EXPECT_EQ(batch_.str(batch_.alerts[0].id), std::string(hex, 16) + "-42");
}

TEST_F(ParserTest, ReadsChangeEventsAndResolved) {
  ASSERT_TRUE(parser_.parse_native(
      R"({"kind":"change","ts":1,"labels":{"alertname":"Deploy","service":"orders","change_type":"deploy"}})",
      batch_, kNow));
  ASSERT_TRUE(
      parser_.parse_native(R"({"status":"resolved","labels":{"alertname":"A"}})", batch_, kNow));
  EXPECT_EQ(batch_.alerts[0].kind, core::Kind::kChange);
  EXPECT_EQ(batch_.alerts[1].status, core::Status::kResolved);
}

TEST_F(ParserTest, IgnoresUnknownKeysAndTruth) {
  ASSERT_TRUE(parser_.parse_native(
      R"({"truth":{"incident":"f1"},"x":[1,{"y":2}],"labels":{"alertname":"A"}})", batch_, kNow));
}

TEST_F(ParserTest, RejectsEachKindOfBadInputWithItsReason) {
  EXPECT_EQ(reject_of(R"({"labels":{"alertname":"A"})"), Reject::kBadJson);
  EXPECT_EQ(reject_of(R"({"labels":{"alertname":"A"}} trailing)"), Reject::kBadJson);
  EXPECT_EQ(reject_of(R"([1,2])"), Reject::kNotObject);
  EXPECT_EQ(reject_of(R"("str")"), Reject::kNotObject);
  EXPECT_EQ(reject_of("nothing"), Reject::kBadJson);
  EXPECT_EQ(reject_of("12ab"), Reject::kBadJson);
  EXPECT_EQ(reject_of(R"({"ts":1})"), Reject::kNoLabels);
  EXPECT_EQ(reject_of(R"({"labels":["alertname"]})"), Reject::kLabelsNotObject);
  EXPECT_EQ(reject_of(R"({"labels":{"service":"x"}})"), Reject::kNoAlertname);
  EXPECT_EQ(reject_of(R"({"labels":{"alertname":""}})"), Reject::kNoAlertname);
  EXPECT_EQ(reject_of(R"({"labels":{"alertname":"A","n":3}})"), Reject::kLabelNotString);
  EXPECT_EQ(reject_of(R"({"labels":{"alertname":"A","":"x"}})"), Reject::kBadLabelName);
  EXPECT_EQ(reject_of(R"({"labels":{"alertname":"A","s":"1","s":"2"}})"), Reject::kDuplicateLabel);
  EXPECT_EQ(reject_of(R"({"ts":"yesterday","labels":{"alertname":"A"}})"), Reject::kBadTimestamp);
  EXPECT_EQ(reject_of(R"({"ts":-5,"labels":{"alertname":"A"}})"), Reject::kBadTimestamp);
  EXPECT_EQ(reject_of(R"({"ts":true,"labels":{"alertname":"A"}})"), Reject::kBadTimestamp);
  EXPECT_EQ(reject_of(R"({"status":"burning","labels":{"alertname":"A"}})"), Reject::kBadStatus);
  EXPECT_EQ(reject_of(R"({"kind":"deploy","labels":{"alertname":"A"}})"), Reject::kBadKind);
  EXPECT_EQ(reject_of(R"({"id":17,"labels":{"alertname":"A"}})"), Reject::kBadId);
  EXPECT_EQ(reject_of(R"({"value":"high","labels":{"alertname":"A"}})"), Reject::kBadValue);
  EXPECT_EQ(reject_of(R"({"annotations":{"a":1},"labels":{"alertname":"A"}})"),
            Reject::kBadAnnotations);
  EXPECT_EQ(reject_of("{\"labels\":{\"alertname\":\"\xff\xfe\"}}"), Reject::kBadJson);  // bad UTF-8
  EXPECT_TRUE(batch_.empty());
  EXPECT_EQ(parser_.stats().accepted, 0u);
  EXPECT_EQ(parser_.stats().rejected_for(Reject::kBadJson), 5u);
  EXPECT_EQ(parser_.stats().rejected_for(Reject::kBadTimestamp), 3u);
  EXPECT_EQ(parser_.stats().rejected_total(), 22u);
}

TEST_F(ParserTest, EnforcesLimits) {
  Limits limits;
  limits.max_labels = 3;
  limits.max_label_name_bytes = 10;
  limits.max_label_value_bytes = 10;
  limits.max_line_bytes = 200;
  Parser p(interner_, limits);
  EXPECT_EQ(p.parse_native(R"({"labels":{"alertname":"A","b":"1","c":"2","d":"3"}})", batch_, kNow)
                .error(),
            Reject::kTooManyLabels);
  EXPECT_EQ(
      p.parse_native(R"({"labels":{"alertname":"A","verylongname":"1"}})", batch_, kNow).error(),
      Reject::kLabelNameTooLong);
  EXPECT_EQ(
      p.parse_native(R"({"labels":{"alertname":"A","b":"12345678901"}})", batch_, kNow).error(),
      Reject::kLabelValueTooLong);
  const std::string big = R"({"labels":{"alertname":"A"},"pad":")" + std::string(300, 'x') + "\"}";
  EXPECT_EQ(p.parse_native(big, batch_, kNow).error(), Reject::kTooLarge);
  EXPECT_TRUE(p.parse_native(R"({"labels":{"alertname":"A","b":"1","c":"2"}})", batch_, kNow));
}

TEST_F(ParserTest, BadLineLeavesBatchUntouched) {
  ASSERT_TRUE(parser_.parse_native(
      R"({"id":"ok","labels":{"alertname":"A"},"annotations":{"s":"x"}})", batch_, kNow));
  const AlertBatch before = batch_;
  // Fails late: labels and annotations were already written when the bad status is seen.
  EXPECT_FALSE(parser_.parse_native(
      R"({"id":"bad","labels":{"alertname":"B","x":"y"},"annotations":{"s":"z"},"status":"nope"})",
      batch_, kNow));
  EXPECT_EQ(batch_.alerts.size(), before.alerts.size());
  EXPECT_EQ(batch_.labels.size(), before.labels.size());
  EXPECT_EQ(batch_.annotations.size(), before.annotations.size());
  EXPECT_EQ(batch_.arena, before.arena);
}

struct RecordingSink : RejectSink {
  std::vector<std::pair<std::uint32_t, Reject>> seen;
  void on_reject(std::uint32_t index, Reject reason) override { seen.emplace_back(index, reason); }
};

TEST_F(ParserTest, NdjsonKeepsGoodLinesAroundBadOnes) {
  const std::string buf =
      "{\"id\":\"1\",\"labels\":{\"alertname\":\"A\"}}\r\n"
      "\n"
      "not json\n"
      "{\"id\":\"2\",\"labels\":{\"alertname\":\"B\"}}\n"
      "   \n"
      "{\"id\":\"3\",\"labels\":{}}\n"
      "{\"id\":\"4\",\"labels\":{\"alertname\":\"C\"}}";  // no final newline
  RecordingSink sink;
  const BodyResult r = parser_.parse_ndjson(buf, batch_, kNow, 0, &sink);
  EXPECT_EQ(r.accepted, 3u);
  EXPECT_EQ(r.rejected, 2u);
  EXPECT_EQ(r.first_reason, Reject::kBadJson);
  EXPECT_EQ(r.first_index, 3u);
  ASSERT_EQ(sink.seen.size(), 2u);
  EXPECT_EQ(sink.seen[1], std::make_pair(6u, Reject::kNoAlertname));
  ASSERT_EQ(batch_.size(), 3u);
  EXPECT_EQ(batch_.str(batch_.alerts[0].id), "1");
  EXPECT_EQ(batch_.str(batch_.alerts[1].id), "2");
  EXPECT_EQ(batch_.str(batch_.alerts[2].id), "4");
}

TEST_F(ParserTest, NdjsonUsesCallerPaddingWithoutCopy) {
  // A buffer with readable slack after the data: lines are parsed in place.
  std::string buf = "{\"labels\":{\"alertname\":\"A\"}}\n{\"labels\":{\"alertname\":\"B\"}}\n";
  const std::size_t n = buf.size();
  buf.append(64, ' ');
  const BodyResult r =
      parser_.parse_ndjson(std::string_view(buf.data(), n), batch_, kNow, buf.size());
  EXPECT_EQ(r.accepted, 2u);
}

TEST_F(ParserTest, AlertmanagerV2Body) {
  const std::string body = R"([
    {"labels":{"alertname":"A","job":"node"},"annotations":{"summary":"s"},
     "startsAt":"2025-11-24T15:59:00Z","endsAt":"2025-11-24T16:05:00Z","generatorURL":"http://p/graph"},
    {"labels":{"alertname":"B"},"startsAt":"2025-11-24T15:50:00Z","endsAt":"2025-11-24T15:55:00Z"},
    {"labels":{"alertname":"C"}},
    {"labels":{"job":"x"}},
    {"labels":{"alertname":"D"},"endsAt":"0001-01-01T00:00:00Z"}
  ])";
  RecordingSink sink;
  const BodyResult r = parser_.parse_alertmanager_v2(body, batch_, kNow, 0, &sink);
  EXPECT_TRUE(r.body_ok);
  EXPECT_EQ(r.accepted, 4u);
  EXPECT_EQ(r.rejected, 1u);
  EXPECT_EQ(r.first_index, 3u);
  EXPECT_EQ(r.first_reason, Reject::kNoAlertname);
  ASSERT_EQ(batch_.size(), 4u);
  EXPECT_EQ(batch_.alerts[0].status, core::Status::kFiring);  // endsAt in the future
  EXPECT_EQ(batch_.alerts[0].ts_ms, 1764000000000LL - 60000);
  EXPECT_EQ(batch_.alerts[1].status, core::Status::kResolved);  // endsAt passed
  EXPECT_EQ(batch_.alerts[2].ts_ms, kNow);                      // no startsAt: now
  EXPECT_EQ(batch_.alerts[3].status, core::Status::kFiring);    // Go zero endsAt: unset
  EXPECT_EQ(batch_.alerts[3].ends_ms, core::kNoTime);
}

TEST_F(ParserTest, AlertmanagerV2RejectsWholeBodyOnSyntaxError) {
  for (const char* body :
       {R"([{"labels":{"alertname":"A"}},{"labels":{"alertname":"B"}})",
        R"([{"labels":{"alertname":"A"}}, xyz])", R"([{"labels":{"alertname":"A"}}] [])"}) {
    const BodyResult r = parser_.parse_alertmanager_v2(body, batch_, kNow);
    EXPECT_FALSE(r.body_ok) << body;
    EXPECT_EQ(r.accepted, 0u) << body;
    EXPECT_EQ(r.first_reason, Reject::kBadJson) << body;
    EXPECT_TRUE(batch_.empty()) << body;
  }
  EXPECT_FALSE(parser_.parse_alertmanager_v2(R"({"labels":{}})", batch_, kNow).body_ok);
  EXPECT_EQ(parser_.parse_alertmanager_v2(R"({"labels":{}})", batch_, kNow).first_reason,
            Reject::kNotArray);
  EXPECT_EQ(parser_.parse_alertmanager_v2("[]", batch_, kNow).accepted, 0u);
  EXPECT_EQ(parser_.stats().accepted, 0u);
}

TEST_F(ParserTest, WebhookV4Payload) {
  const std::string body =
      R"({"receiver":"squall","status":"firing","version":"4","groupKey":"{}:{}",
    "truncatedAlerts":0,"groupLabels":{},"commonLabels":{"alertname":"A"},"commonAnnotations":{},
    "externalURL":"http://am","alerts":[
      {"status":"firing","labels":{"alertname":"A","instance":"i1"},"annotations":{},
       "startsAt":"2025-11-24T15:59:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"","fingerprint":"abc"},
      {"status":"resolved","labels":{"alertname":"A","instance":"i2"},"annotations":{},
       "startsAt":"2025-11-24T15:59:00Z","endsAt":"2025-11-24T15:59:30Z","fingerprint":"def"}]})";
  const BodyResult r = parser_.parse_webhook(body, batch_, kNow);
  EXPECT_TRUE(r.body_ok);
  EXPECT_EQ(r.accepted, 2u);
  EXPECT_EQ(batch_.alerts[0].status, core::Status::kFiring);
  EXPECT_EQ(batch_.alerts[1].status, core::Status::kResolved);
  EXPECT_EQ(parser_.parse_webhook(R"({"status":"firing"})", batch_, kNow).first_reason,
            Reject::kNotArray);
  EXPECT_EQ(parser_.parse_webhook(R"([])", batch_, kNow).first_reason, Reject::kNotObject);
}

TEST_F(ParserTest, NoHeapGrowthInSteadyState) {
  // After a warm-up pass, re-parsing into a cleared batch reuses every buffer.
  const std::string buf =
      "{\"id\":\"a\",\"ts\":1,\"labels\":{\"alertname\":\"A\",\"service\":\"s1\"},\"annotations\":{"
      "\"x\":\"y\"}}\n"
      "{\"id\":\"b\",\"ts\":2,\"labels\":{\"alertname\":\"B\",\"service\":\"s2\"}}\n";
  parser_.parse_ndjson(buf, batch_, kNow);
  const auto cap = std::make_tuple(batch_.alerts.capacity(), batch_.labels.capacity(),
                                   batch_.annotations.capacity(), batch_.arena.capacity());
  const std::size_t syms = interner_.size();
  for (int i = 0; i < 100; ++i) {
    batch_.clear();
    parser_.parse_ndjson(buf, batch_, kNow);
  }
  EXPECT_EQ(cap, std::make_tuple(batch_.alerts.capacity(), batch_.labels.capacity(),
                                 batch_.annotations.capacity(), batch_.arena.capacity()));
  EXPECT_EQ(interner_.size(), syms);
}

TEST_F(ParserTest, LabelSetCacheGivesTheSameAlertsAsParsingEveryTime) {
  // Repeats, reorders, escapes, empty values and bad sets: the cache must never change a result.
  std::string buf;
  const char* sets[] = {
      R"({"alertname":"A","service":"s1","pod":"p-1"})",
      R"({"pod":"p-1","service":"s1","alertname":"A"})",
      R"({"alertname":"A","service":"s\u0031","pod":"p-1"})",
      R"({"alertname":"B","service":"","x":"1"})",
      R"({"alertname":"C","dup":"1","dup":"2"})",
      R"({"service":"no-alertname"})",
      R"({"alertname":"D","n":3})",
  };
  for (int round = 0; round < 3; ++round)
    for (const char* set : sets) buf += std::string(R"({"ts":1,"labels":)") + set + "}\n";
  Interner other;
  Limits no_cache;
  no_cache.cache_label_sets = false;
  Parser uncached(other, no_cache);
  AlertBatch expect;
  const BodyResult a = parser_.parse_ndjson(buf, batch_, kNow);
  const BodyResult b = uncached.parse_ndjson(buf, expect, kNow);
  EXPECT_EQ(a.accepted, 12u);
  EXPECT_EQ(a.accepted, b.accepted);
  EXPECT_EQ(a.rejected, b.rejected);
  for (std::size_t r = 0; r < static_cast<std::size_t>(Reject::kCount); ++r)
    EXPECT_EQ(parser_.stats().rejected[r], uncached.stats().rejected[r])
        << reject_reason(static_cast<Reject>(r));
  ASSERT_EQ(batch_.size(), expect.size());
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    const core::Alert& x = batch_.alerts[i];
    const core::Alert& y = expect.alerts[i];
    EXPECT_EQ(x.fingerprint, y.fingerprint) << i;
    ASSERT_EQ(x.labels_count, y.labels_count) << i;
    for (std::uint32_t k = 0; k < x.labels_count; ++k) {
      EXPECT_EQ(interner_.view(batch_.labels_of(x)[k].name),
                other.view(expect.labels_of(y)[k].name));
      EXPECT_EQ(interner_.view(batch_.labels_of(x)[k].value),
                other.view(expect.labels_of(y)[k].value));
    }
  }
  // The three spellings of one label set are one fingerprint.
  EXPECT_EQ(batch_.alerts[0].fingerprint, batch_.alerts[1].fingerprint);
  EXPECT_EQ(batch_.alerts[0].fingerprint, batch_.alerts[2].fingerprint);
}

TEST(Format, ParsesNames) {
  EXPECT_EQ(parse_format("native").value(), Format::kNative);
  EXPECT_EQ(parse_format("alertmanager").value(), Format::kAlertmanagerV2);
  EXPECT_EQ(parse_format("webhook").value(), Format::kWebhookV4);
  EXPECT_FALSE(parse_format("xml").has_value());
}

TEST(RejectReason, EveryReasonHasAName) {
  for (std::size_t i = 0; i < static_cast<std::size_t>(Reject::kCount); ++i)
    EXPECT_NE(reject_reason(static_cast<Reject>(i)), "unknown");
}

}  // namespace
}  // namespace squall::parse
