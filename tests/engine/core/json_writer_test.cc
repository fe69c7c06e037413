#include "engine/core/json_writer.h"

#include <limits>

#include <gtest/gtest.h>

namespace squall::core {
namespace {

TEST(JsonWriter, PlacesCommasAndNests) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().kv("a", 1).key("b").begin_array().value("x").value(true).null().end_array();
  w.key("c").begin_object().end_object().kv("d", 0.5).end_object();
  EXPECT_EQ(out, R"({"a":1,"b":["x",true,null],"c":{},"d":0.5})");
}

TEST(JsonWriter, EscapesControlAndQuotes) {
  std::string out;
  append_json_string(out, std::string_view("a\"b\\c\n\x01\xc3\xa9", 9));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
}

// The escaper scans 8 bytes at a time: every byte value, at every position of strings up to
// three words long (so in the word scan and in the tail), must be escaped exactly as one byte at
// a time would, including bytes >= 0x80 (UTF-8) next to ones that need escaping.
TEST(JsonWriter, EscapesEveryByteAtEveryPosition) {
  auto reference = [](std::string_view s) {
    std::string r = "\"";
    for (unsigned char c : s) {
      if (c == '"')
        r += "\\\"";
      else if (c == '\\')
        r += "\\\\";
      else if (c == '\n')
        r += "\\n";
      else if (c == '\r')
        r += "\\r";
      else if (c == '\t')
        r += "\\t";
      else if (c == '\b')
        r += "\\b";
      else if (c == '\f')
        r += "\\f";
      else if (c < 0x20) {
        static constexpr char kHex[] = "0123456789abcdef";
        r += "\\u00";
        r += kHex[c >> 4];
        r += kHex[c & 0xf];
      } else {
        r += static_cast<char>(c);
      }
    }
    return r + "\"";
  };
  for (std::size_t len = 1; len <= 24; ++len)
    for (std::size_t at = 0; at < len; ++at)
      for (int b = 0; b < 256; ++b)
        for (char fill : {'a', '\xc3'}) {
          std::string s(len, fill);
          s[at] = static_cast<char>(b);
          std::string out = "prefix";
          append_json_string(out, s);
          ASSERT_EQ(out, "prefix" + reference(s)) << "len " << len << " at " << at << " byte " << b;
        }
}

TEST(JsonWriter, WritesIntegersAndDoublesAsBefore) {
  std::string out;
  JsonWriter w(out);
  w.begin_array()
      .value(std::int64_t{-9223372036854775807 - 1})
      .value(std::uint64_t{18446744073709551615ULL})
      .value(0)
      .value(1.0)
      .value(0.1)
      .value(1e21)
      .value(-2.5e-7)
      .end_array();
  EXPECT_EQ(out, "[-9223372036854775808,18446744073709551615,0,1,0.1,1e+21,-2.5e-07]");
}

TEST(JsonWriter, NonFiniteBecomesNull) {
  std::string out;
  JsonWriter w(out);
  w.begin_array().value(std::numeric_limits<double>::infinity()).end_array();
  EXPECT_EQ(out, "[null]");
}

}  // namespace
}  // namespace squall::core
