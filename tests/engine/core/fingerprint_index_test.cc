// FingerprintIndex against std::unordered_map under random inserts and erases, and with
// fingerprints that share a slot tag (told apart only by the member records' fingerprints).
#include "engine/core/fingerprint_index.h"

#include <cstdint>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace squall::core {
namespace {

// Stands in for the member table: value -> the fingerprint its record holds.
struct Records {
  std::vector<Fingerprint> fp;
  Fingerprint operator()(std::uint32_t v) const { return fp.at(v); }
};

// Two distinct fingerprints with the same tag (the birthday bound finds one among ~100 k).
std::pair<Fingerprint, Fingerprint> SharedTag() {
  std::unordered_map<std::uint32_t, Fingerprint> by_tag;
  for (Fingerprint f = 1;; ++f) {
    const Fingerprint fp = f * 0x9e3779b97f4a7c15ULL;
    auto [it, inserted] = by_tag.emplace(FingerprintIndex::tag(fp), fp);
    if (!inserted) return {it->second, fp};
  }
}

TEST(FingerprintIndex, RandomOpsAgreeWithUnorderedMap) {
  FingerprintIndex index(4);
  Records records;
  std::unordered_map<Fingerprint, std::uint32_t> ref;
  std::mt19937_64 rng(11);
  // A small fingerprint space (with a shared-tag pair in it): many repeats, long probe runs.
  std::vector<Fingerprint> space;
  for (int i = 0; i < 3000; ++i) space.push_back(rng());
  const auto [x, y] = SharedTag();
  space.push_back(x);
  space.push_back(y);
  for (int step = 0; step < 200'000; ++step) {
    const Fingerprint fp = space[rng() % space.size()];
    const auto it = ref.find(fp);
    switch (rng() % 3) {
      case 0:
        if (it == ref.end()) {
          const auto v = static_cast<std::uint32_t>(records.fp.size());
          records.fp.push_back(fp);
          index.insert(fp, v);
          ref[fp] = v;
        }
        break;
      case 1:
        if (it != ref.end()) {
          EXPECT_FALSE(index.erase(fp, it->second + 1));  // another value: not this entry
          EXPECT_TRUE(index.erase(fp, it->second));
          ref.erase(it);
        } else {
          EXPECT_FALSE(index.erase(fp, 0));
        }
        break;
      default: {
        const std::uint32_t v = index.find(fp, records);
        ASSERT_EQ(v != FingerprintIndex::kMissing, it != ref.end()) << fp;
        if (it != ref.end()) {
          EXPECT_EQ(v, it->second);
        }
      }
    }
    ASSERT_EQ(index.size(), ref.size());
  }
  for (const auto& [fp, v] : ref) EXPECT_EQ(index.find(fp, records), v) << fp;
}

TEST(FingerprintIndex, FingerprintsSharingATagStayApart) {
  const auto [x, y] = SharedTag();
  ASSERT_NE(x, y);
  ASSERT_EQ(FingerprintIndex::tag(x), FingerprintIndex::tag(y));
  FingerprintIndex index(4);
  Records records{{x, y}};
  EXPECT_EQ(index.find(x, records), FingerprintIndex::kMissing);
  index.insert(x, 0);
  // y's probe meets x's slot (same tag, same home): the record, not the tag, says it is not y.
  EXPECT_EQ(index.find(y, records), FingerprintIndex::kMissing);
  index.insert(y, 1);
  EXPECT_EQ(index.find(x, records), 0u);
  EXPECT_EQ(index.find(y, records), 1u);
  EXPECT_TRUE(index.erase(x, 0));
  EXPECT_EQ(index.find(x, records), FingerprintIndex::kMissing);
  EXPECT_EQ(index.find(y, records), 1u);  // shifted back into x's slot, still found
}

TEST(FingerprintIndex, ASlotIsEightBytes) { EXPECT_EQ(FingerprintIndex::slot_bytes(), 8u); }

}  // namespace
}  // namespace squall::core
