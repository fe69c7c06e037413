// MemberTable: records and their variable parts survive growth across chunks, freed blocks are
// reused, derived ids are rebuilt (not stored) and equal what the parser derived.
#include "engine/core/member_table.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/core/interner.h"
#include "engine/parse/parser.h"

namespace squall::core {
namespace {

class MemberTableTest : public ::testing::Test {
 protected:
  const Alert& parse(const std::string& line) {
    batch_.clear();
    auto ok = parser_.parse_native(line, batch_, 0);
    EXPECT_TRUE(ok.has_value());
    return batch_.alerts.back();
  }
  Member member_of(const Alert& a) {
    Member m;
    m.fingerprint = a.fingerprint;
    m.first_ts = m.last_ts = a.ts_ms;
    return m;
  }
  Interner interner_;
  parse::Parser parser_{interner_};
  AlertBatch batch_;
  MemberTable table_;
};

TEST_F(MemberTableTest, ManyMembersKeepTheirLabelsIdsAndAnnotationsAcrossChunks) {
  std::vector<std::uint32_t> slots;
  for (int i = 0; i < 20'000; ++i) {  // several member chunks and 1 MiB pool chunks
    const std::string n = std::to_string(i);
    const Alert& a =
        parse(R"({"id":"id-)" + n + R"(","ts":)" + n + R"(,"labels":{"alertname":"A","pod":"p-)" +
              n + R"("},"annotations":{"summary":"s-)" + n + R"("}})");
    slots.push_back(table_.add(member_of(a), batch_, a, true));
  }
  EXPECT_EQ(table_.live(), 20'000u);
  for (int i = 0; i < 20'000; i += 997) {
    const Member& m = table_[slots[static_cast<std::size_t>(i)]];
    MemberTable::IdBuf buf;
    EXPECT_EQ(table_.id(m, buf), "id-" + std::to_string(i));
    const auto labels = table_.labels(m);
    ASSERT_EQ(labels.size(), 2u);
    EXPECT_EQ(interner_.view(labels[1].value), "p-" + std::to_string(i));
    std::string summary;
    table_.for_each_annotation(m, [&](std::string_view, std::string_view v) { summary = v; });
    EXPECT_EQ(summary, "s-" + std::to_string(i));
  }
  // Released slots and blocks are reused: refilling with records of the same sizes takes no new
  // member chunk and no new pool chunk.
  for (std::uint32_t s : slots) table_.release(s);
  EXPECT_EQ(table_.live(), 0u);
  const std::size_t reserved = table_.bytes_reserved();
  for (int i = 0; i < 20'000; ++i) {
    const std::string n = std::to_string(i);
    const Alert& a = parse(R"({"id":"id-)" + n + R"(","labels":{"alertname":"B","pod":"q-)" + n +
                           R"("},"annotations":{"summary":"t-)" + n + R"("}})");
    table_.add(member_of(a), batch_, a, true);
  }
  EXPECT_EQ(table_.bytes_reserved(), reserved);
}

// Members whose label sets share their names keep only the values under one interned shape; past
// the shape table's bound the rest keep whole pairs. Both read back the same, and both kinds of
// block are reused after release.
TEST_F(MemberTableTest, LabelsReadBackWithSharedShapesAndPastTheShapeBound) {
  std::vector<std::uint32_t> slots;
  std::vector<std::string> lines;
  for (int i = 0; i < 6'000; ++i) {  // 6,000 distinct name lists: more than the table keeps
    const std::string n = std::to_string(i);
    lines.push_back(R"({"labels":{"alertname":"A","extra_)" + n + R"(":"x-)" + n +
                    R"(","pod":"p-)" + n + R"("}})");
    const Alert& a = parse(lines.back());
    slots.push_back(table_.add(member_of(a), batch_, a, false));
    const Alert& b = parse(R"({"labels":{"alertname":"B","pod":"q-)" + n + R"("}})");
    slots.push_back(table_.add(member_of(b), batch_, b, false));
  }
  auto check = [&](int i) {
    const std::string n = std::to_string(i);
    const auto a = table_.labels(table_[slots[2 * static_cast<std::size_t>(i)]]);
    ASSERT_EQ(a.size(), 3u);
    EXPECT_EQ(interner_.view(a[0].name), "alertname");
    EXPECT_EQ(interner_.view(a[1].name), "extra_" + n);
    EXPECT_EQ(interner_.view(a[1].value), "x-" + n);
    EXPECT_EQ(interner_.view(a[2].value), "p-" + n);
    std::vector<std::string> seen;
    for (const Label& l : table_.labels(table_[slots[2 * static_cast<std::size_t>(i) + 1]]))
      seen.push_back(std::string(interner_.view(l.name)) + "=" +
                     std::string(interner_.view(l.value)));
    EXPECT_EQ(seen, (std::vector<std::string>{"alertname=B", "pod=q-" + n}));
  };
  for (int i : {0, 1, 4'000, 4'500, 5'999}) check(i);
  for (std::uint32_t s : slots) table_.release(s);
  const std::size_t reserved = table_.bytes_reserved();
  for (const std::string& line : lines) {
    const Alert& a = parse(line);
    table_.add(member_of(a), batch_, a, false);
  }
  EXPECT_EQ(table_.bytes_reserved(), reserved);
}

TEST_F(MemberTableTest, DerivedIdIsRebuiltAndEqualsTheParsersId) {
  const Alert& a = parse(R"({"ts":1795489200123,"labels":{"alertname":"A","service":"x"}})");
  ASSERT_TRUE(a.id_derived);
  const std::string parsed(batch_.str(a.id));
  const std::uint32_t slot = table_.add(member_of(a), batch_, a, false);
  const Member& m = table_[slot];
  EXPECT_TRUE(m.id_derived);
  EXPECT_EQ(m.text_len, 0u);  // nothing stored: no id, no annotations
  MemberTable::IdBuf buf;
  EXPECT_EQ(table_.id(m, buf), parsed);
  EXPECT_EQ(parsed.size(), 16u + 1 + 13);
  EXPECT_EQ(parsed.substr(16), "-1795489200123");
  int annotations = 0;
  table_.for_each_annotation(m, [&](std::string_view, std::string_view) { ++annotations; });
  EXPECT_EQ(annotations, 0);
}

// A derived id with annotations kept: the block holds the annotations only.
TEST_F(MemberTableTest, DerivedIdWithAnnotationsStoresOnlyTheAnnotations) {
  const Alert& a = parse(
      R"({"ts":1795489200123,"labels":{"alertname":"A"},"annotations":{"summary":"disk full"}})");
  ASSERT_TRUE(a.id_derived);
  const std::string parsed(batch_.str(a.id));
  const Member& m = table_[table_.add(member_of(a), batch_, a, true)];
  EXPECT_GT(m.text_len, 0u);
  MemberTable::IdBuf buf;
  EXPECT_EQ(table_.id(m, buf), parsed);
  std::string summary;
  table_.for_each_annotation(m, [&](std::string_view name, std::string_view v) {
    EXPECT_EQ(name, "summary");
    summary = v;
  });
  EXPECT_EQ(summary, "disk full");
}

// A member keeps when it resolved as 32 bits back from its latest alert: exact while its repeats
// move last_ts on, and past the 32-bit range it still reads as long before any flap window.
TEST(MemberResolvedTest, ResolvedTimeSurvivesLaterRepeatsAndSaturatesFarBack) {
  Member m;
  m.first_ts = m.last_ts = 1'000'000;
  EXPECT_EQ(m.resolved_ts(), kNoTime);
  m.advance_last(2'000'000);
  EXPECT_EQ(m.resolved_ts(), kNoTime);  // never resolved stays never
  m.set_resolved(1'500'000);            // a late resolve, older than last_ts
  EXPECT_EQ(m.resolved_ts(), 1'500'000);
  m.advance_last(1'900'000);  // older than last_ts: nothing moves
  EXPECT_EQ(m.last_ts, 2'000'000);
  m.advance_last(9'000'000);
  EXPECT_EQ(m.last_ts, 9'000'000);
  EXPECT_EQ(m.resolved_ts(), 1'500'000);
  m.set_resolved(9'000'000);
  EXPECT_EQ(m.resolved_ts(), 9'000'000);
  const std::int64_t days60 = 60LL * 24 * 3'600'000;
  m.advance_last(9'000'000 + days60);
  EXPECT_NE(m.resolved_ts(), kNoTime);
  EXPECT_LE(m.resolved_ts(), m.last_ts - 49LL * 24 * 3'600'000);  // far back, not a recent flap
  m.set_resolved(m.last_ts - days60);
  EXPECT_LE(m.resolved_ts(), m.last_ts - 49LL * 24 * 3'600'000);
}

TEST(MemberResolvedTest, FlapsSaturateAndStayFlapping) {
  Member m;
  EXPECT_FALSE(m.is_flapping());
  for (int i = 0; i < 1000; ++i) m.add_flap();
  EXPECT_EQ(m.flaps, Member::kMaxFlaps);
  EXPECT_TRUE(m.is_flapping());
}

}  // namespace
}  // namespace squall::core
