// AlertBatch::keep_only: the reorder buffer's in-place compaction keeps exactly the chosen alerts,
// in order, with their own labels, annotations and ids, and drops everything else.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/core/alert.h"
#include "engine/core/interner.h"
#include "engine/parse/parser.h"

namespace squall::core {
namespace {

TEST(AlertBatch, KeepOnlyCompactsInPlaceAndKeepsEachAlertsParts) {
  Interner interner;
  parse::Parser parser(interner);
  AlertBatch parsed, buffer;
  // Alerts of different shapes: labels 1-3, annotations 0-2, ids of different lengths.
  for (int i = 0; i < 12; ++i) {
    std::string line = R"({"id":")" + std::string(static_cast<std::size_t>(1 + i % 4), 'x') +
                       std::to_string(i) + R"(","ts":)" + std::to_string(1000 + i) +
                       R"(,"labels":{"alertname":"A)" + std::to_string(i) + "\"";
    for (int l = 0; l < i % 3; ++l)
      line += ",\"l" + std::to_string(l) + "\":\"v" + std::to_string(i * 10 + l) + "\"";
    line += "},\"annotations\":{";
    for (int n = 0; n < i % 3; ++n)
      line += std::string(n ? "," : "") + "\"a" + std::to_string(n) + "\":\"text " +
              std::to_string(i) + '-' + std::to_string(n) + "\"";
    line += "}}";
    parsed.clear();
    ASSERT_TRUE(parser.parse_native(line, parsed, 0)) << line;
    buffer.append_copy(parsed, parsed.alerts[0]);
  }
  // What each kept alert looked like before.
  auto render = [&](const AlertBatch& b, const Alert& a) {
    std::string s = std::string(b.str(a.id)) + '|' + std::to_string(a.ts_ms);
    for (std::uint32_t k = 0; k < a.labels_count; ++k)
      s += '|' + std::string(interner.view(b.labels_of(a)[k].name)) + '=' +
           std::string(interner.view(b.labels_of(a)[k].value));
    for (std::uint32_t k = 0; k < a.annotations_count; ++k)
      s += '|' + std::string(b.str(b.annotations_of(a)[k].name)) + '=' +
           std::string(b.str(b.annotations_of(a)[k].value));
    return s;
  };
  const std::vector<std::uint32_t> keep = {1, 2, 5, 9, 11};
  std::vector<std::string> before;
  for (std::uint32_t i : keep) before.push_back(render(buffer, buffer.alerts[i]));
  const std::size_t arena_before = buffer.arena.size();

  buffer.keep_only(keep);
  ASSERT_EQ(buffer.size(), keep.size());
  for (std::size_t k = 0; k < keep.size(); ++k)
    EXPECT_EQ(render(buffer, buffer.alerts[k]), before[k]) << k;
  EXPECT_LT(buffer.arena.size(), arena_before);
  std::size_t labels = 0, annotations = 0;
  for (const Alert& a : buffer.alerts) {
    labels += a.labels_count;
    annotations += a.annotations_count;
  }
  EXPECT_EQ(buffer.labels.size(), labels);
  EXPECT_EQ(buffer.annotations.size(), annotations);

  // Appending after a compaction still works, and keeping nothing empties the batch.
  parsed.clear();
  ASSERT_TRUE(parser.parse_native(R"({"id":"late","ts":5,"labels":{"alertname":"Z"}})", parsed, 0));
  buffer.append_copy(parsed, parsed.alerts[0]);
  EXPECT_EQ(render(buffer, buffer.alerts.back()), "late|5|alertname=Z");
  buffer.keep_only({});
  EXPECT_TRUE(buffer.empty());
  EXPECT_TRUE(buffer.arena.empty());
}

}  // namespace
}  // namespace squall::core
