#include "engine/core/interner.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/core/well_known.h"

namespace squall::core {
namespace {

TEST(Interner, SameStringSameSym) {
  Interner in;
  const Sym a = in.intern("checkout");
  const Sym b = in.intern(std::string("check") + "out");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, in.intern("orders"));
  EXPECT_EQ(in.view(a), "checkout");
}

TEST(Interner, EmptyStringIsSymZero) {
  Interner in;
  EXPECT_EQ(in.intern(""), 0u);
  EXPECT_EQ(in.view(0), "");
}

TEST(Interner, WellKnownNamesHaveFixedSyms) {
  Interner in;
  EXPECT_EQ(in.intern("alertname"), sym::kAlertname);
  EXPECT_EQ(in.intern("service"), sym::kService);
  EXPECT_EQ(in.intern("node"), sym::kNode);
  EXPECT_EQ(in.intern("deploy"), sym::kDeploy);
  EXPECT_EQ(in.intern("job"), sym::kJob);
  for (std::size_t i = 0; i < kWellKnownNames.size(); ++i)
    EXPECT_EQ(in.view(static_cast<Sym>(i + 1)), kWellKnownNames[i]);
}

TEST(Interner, FindDoesNotInsert) {
  Interner in;
  bool found = true;
  EXPECT_EQ(in.find("nope", &found), 0u);
  EXPECT_FALSE(found);
  const std::size_t n = in.size();
  const Sym s = in.intern("nope");
  EXPECT_EQ(in.size(), n + 1);
  EXPECT_EQ(in.find("nope", &found), s);
  EXPECT_TRUE(found);
}

TEST(Interner, ViewsStayValidAcrossGrowth) {
  Interner in;
  const Sym first = in.intern("first-string");
  const std::string_view v = in.view(first);
  for (int i = 0; i < 200000; ++i) in.intern("value-" + std::to_string(i));
  EXPECT_EQ(v, "first-string");  // same bytes, not moved by table growth or new chunks
  EXPECT_EQ(in.view(first).data(), v.data());
  EXPECT_EQ(in.intern("value-12345"), in.find("value-12345"));
}

TEST(Interner, StoresOversizedStrings) {
  Interner in;
  const std::string big(100000, 'x');
  const Sym s = in.intern(big);
  in.intern("small");
  EXPECT_EQ(in.view(s), big);
  EXPECT_EQ(in.intern(big), s);
}

// Each string's length is stored just before its text, in one byte or (from 255 B) five: every
// length on both sides of that edge, and past a chunk's end, reads back exactly.
TEST(Interner, EveryLengthReadsBackAcrossTheLengthEncodingEdge) {
  Interner in;
  std::vector<std::pair<Sym, std::string>> kept;
  for (std::size_t n = 1; n <= 600; ++n)
    for (char c : {'a', 'b'}) {
      std::string s(n, c);
      s[0] = static_cast<char>(n % 200 + 1);  // distinct strings with varied first bytes
      kept.emplace_back(in.intern(s), s);
    }
  for (const std::string& s :
       {std::string(16383, 'q'), std::string(16384, 'r'), std::string(70000, 's')})
    kept.emplace_back(in.intern(s), s);
  for (const auto& [sym, s] : kept) {
    ASSERT_EQ(in.view(sym), s) << s.size();
    ASSERT_EQ(in.find(s), sym) << s.size();
  }
  EXPECT_EQ(in.view(0), "");
}

TEST(Interner, ConcurrentInternersAgree) {
  // Four threads intern overlapping strings at once: every string gets exactly one Sym, and the
  // text behind each Sym is right (run under TSan by `make test-tsan`).
  Interner in;
  constexpr int kThreads = 4;
  constexpr int kStrings = 20000;
  std::vector<std::vector<Sym>> got(kThreads, std::vector<Sym>(kStrings));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kStrings; ++i) {
        static constexpr int kStride[kThreads] = {1, 3, 7, 9};  // coprime with kStrings
        const int k = (i * kStride[t] + 17 * t) % kStrings;     // each thread its own order
        got[t][k] = in.intern("v" + std::to_string(k));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < kStrings; ++i) {
    for (int t = 1; t < kThreads; ++t) ASSERT_EQ(got[t][i], got[0][i]);
    ASSERT_EQ(in.view(got[0][i]), "v" + std::to_string(i));
  }
  EXPECT_EQ(in.size(), 1 + kWellKnownNames.size() + kStrings);
}

// Growing past the mapped-table size retires old tables (their pages go back to the kernel and
// read as zeros). Readers probing concurrently must still find every string added before: they
// look again in the current table when theirs was retired under them.
TEST(Interner, FindersAlwaysFindOldStringsWhileTablesAreRetired) {
  Interner in;
  constexpr int kOld = 1000;
  std::vector<Sym> old(kOld);
  for (int i = 0; i < kOld; ++i)
    old[static_cast<std::size_t>(i)] = in.intern("old-" + std::to_string(i));
  std::atomic<bool> done{false};
  std::atomic<long> misses{0}, finds{0};
  std::vector<std::thread> finders;
  for (int t = 0; t < 2; ++t)
    finders.emplace_back([&, t] {
      for (int i = t; !done.load(std::memory_order_relaxed); i = (i + 7) % kOld) {
        bool found = false;
        const Sym s = in.find("old-" + std::to_string(i), &found);
        if (!found || s != old[static_cast<std::size_t>(i)]) misses.fetch_add(1);
        finds.fetch_add(1, std::memory_order_relaxed);
      }
    });
  // Past 2^20 strings: tables of 2^20 and 2^21 slots (8 and 16 MiB, mapped) replace each other.
  for (int i = 0; i < 1'100'000; ++i) in.intern("new-" + std::to_string(i));
  done = true;
  for (auto& th : finders) th.join();
  EXPECT_EQ(misses.load(), 0);
  EXPECT_GT(finds.load(), 0);
  for (int i = 0; i < kOld; ++i)
    EXPECT_EQ(in.find("old-" + std::to_string(i)), old[static_cast<std::size_t>(i)]);
}

TEST(Interner, LessOrdersLikeMemcmp) {
  Interner in;
  const Sym a = in.intern("alertname"), b = in.intern("alertnamf"), c = in.intern("alert"),
            d = in.intern("Zeta"), e = in.intern("alertname_long_suffix");
  EXPECT_TRUE(in.less(c, a));
  EXPECT_TRUE(in.less(a, b));
  EXPECT_TRUE(in.less(d, c));
  EXPECT_TRUE(in.less(a, e));
  EXPECT_FALSE(in.less(a, a));
}

}  // namespace
}  // namespace squall::core
