// FlatMap against std::unordered_map under random inserts and erases (backward-shift deletion
// keeps every probe run findable), with the key 0 (kept beside the table) and 32-bit keys.
#include "engine/core/flat_map.h"

#include <cstdint>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include <gtest/gtest.h>

#include "engine/core/hash.h"

namespace squall::core {
namespace {

template <class K>
void RandomOpsAgreeWithUnorderedMap(std::uint64_t key_space) {
  FlatMap<std::uint32_t, K> m(4);
  std::unordered_map<K, std::uint32_t> ref;
  std::mt19937_64 rng(7);
  for (int step = 0; step < 200'000; ++step) {
    const K k = static_cast<K>(rng() % key_space);  // small space: many collisions and repeats
    switch (rng() % 4) {
      case 0:
      case 1: {
        bool inserted = false;
        m.upsert(k, &inserted) = static_cast<std::uint32_t>(step);
        EXPECT_EQ(inserted, ref.count(k) == 0);
        ref[k] = static_cast<std::uint32_t>(step);
        break;
      }
      case 2:
        EXPECT_EQ(m.erase(k), ref.erase(k) == 1);
        break;
      default: {
        const std::uint32_t* v = m.find(k);
        const auto it = ref.find(k);
        ASSERT_EQ(v != nullptr, it != ref.end()) << k;
        if (v) {
          EXPECT_EQ(*v, it->second);
        }
      }
    }
    ASSERT_EQ(m.size(), ref.size());
  }
  for (const auto& [k, v] : ref) {
    ASSERT_NE(m.find(k), nullptr) << k;
    EXPECT_EQ(*m.find(k), v);
  }
}

TEST(FlatMap, RandomOpsAgreeWithUnorderedMap64) {
  RandomOpsAgreeWithUnorderedMap<std::uint64_t>(5000);
}
TEST(FlatMap, RandomOpsAgreeWithUnorderedMap32) {
  RandomOpsAgreeWithUnorderedMap<std::uint32_t>(5000);
}

TEST(FlatMap, HighKeysAndKeyZero) {
  FlatMap<std::uint32_t> m(4);
  const std::uint64_t high = 0xffff'ffff'0000'0000ULL;  // the upper half must survive storage
  m.upsert(high) = 1;
  m.upsert(high | 1) = 2;
  m.upsert(0) = 3;
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(*m.find(high), 1u);
  EXPECT_EQ(*m.find(high | 1), 2u);
  EXPECT_EQ(*m.find(0), 3u);
  EXPECT_EQ(m.find(1), nullptr);
  EXPECT_TRUE(m.erase(0));
  EXPECT_FALSE(m.erase(0));
  EXPECT_EQ(m.find(0), nullptr);
  m.clear();
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.find(high), nullptr);
}

TEST(FlatMap, SlotsCarryNoFlagAndPackToTheirValue) {
  EXPECT_EQ((FlatMap<std::uint32_t>::slot_bytes()), 12u);
  EXPECT_EQ((FlatMap<std::uint32_t, std::uint32_t>::slot_bytes()), 8u);
}

}  // namespace
}  // namespace squall::core

namespace squall::core {
namespace {

// Maps keyed by a pair (a posting or zone key and an incident slot or number) rely on hash_pair
// keeping structured pairs apart: hash_mix collided on most pairs of label ids a few apart.
TEST(HashPair, StructuredPairsDoNotCollide) {
  std::unordered_set<std::uint64_t> seen;
  std::size_t pairs = 0;
  for (std::uint64_t name = 1; name <= 4; ++name)
    for (std::uint64_t value = 1; value <= 1000; ++value)
      for (std::uint64_t slot = 0; slot < 250; ++slot, ++pairs)
        seen.insert(hash_pair((name << 32) | value, slot));
  EXPECT_EQ(seen.size(), pairs);
}

}  // namespace
}  // namespace squall::core
