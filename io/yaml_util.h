#pragma once
// Small helpers for reading YAML/JSON config files with yaml-cpp: error messages carrying the file,
// the line and the dotted key. Internal to io/ (yaml-cpp does not appear in io's public headers).
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

namespace squall::io::detail {

// "FILE:LINE: KEY: WHAT" (LINE 1-based; omitted when the node has no position).
inline std::string yaml_error(std::string_view source, const YAML::Node& node, std::string_view key,
                              std::string_view what) {
  std::string out(source);
  const YAML::Mark mark = node.Mark();
  if (mark.line >= 0) {
    out += ':';
    out += std::to_string(mark.line + 1);
  }
  out += ": ";
  if (!key.empty()) {
    out += key;
    out += ": ";
  }
  out += what;
  return out;
}

inline std::string yaml_error(std::string_view source, const YAML::Mark& mark,
                              std::string_view what) {
  std::string out(source);
  if (mark.line >= 0) {
    out += ':';
    out += std::to_string(mark.line + 1);
  }
  out += ": ";
  out += what;
  return out;
}

inline std::string join_key(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  std::string out(prefix);
  out += '.';
  out += key;
  return out;
}

}  // namespace squall::io::detail
