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

TEST(JsonWriter, NonFiniteBecomesNull) {
  std::string out;
  JsonWriter w(out);
  w.begin_array().value(std::numeric_limits<double>::infinity()).end_array();
  EXPECT_EQ(out, "[null]");
}

}  // namespace
}  // namespace squall::core
