#pragma once
// A small streaming JSON writer that appends to a caller-owned std::string (reused, so no
// allocation once the string has grown). Commas are placed automatically; keys and values must
// alternate inside objects. Used for every JSON squall emits: storms, bundles, drafts, eval
// reports.
#include <cstdint>
#include <string>
#include <string_view>

namespace squall::core {

// Appends `s` as a JSON string literal (quotes included), escaping per RFC 8259.
void append_json_string(std::string& out, std::string_view s);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(std::int64_t v);
  JsonWriter& value(std::uint64_t v);
  JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
  JsonWriter& value(double v);
  JsonWriter& value(bool v);
  JsonWriter& null();
  // Inserts already-serialized JSON as one value.
  JsonWriter& raw(std::string_view json);

  // Shorthands for `key(k).value(v)`.
  template <class T>
  JsonWriter& kv(std::string_view k, T v) {
    key(k);
    return value(v);
  }

 private:
  JsonWriter& open(char c);
  JsonWriter& close(char c);
  void before_value();

  std::string& out_;
  bool need_comma_ = false;
  bool after_key_ = false;
};

}  // namespace squall::core
