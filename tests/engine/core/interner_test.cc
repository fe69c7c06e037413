#include "engine/core/interner.h"

#include <string>

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

}  // namespace
}  // namespace squall::core
