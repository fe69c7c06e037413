#include "engine/core/alert_kind.h"

#include <array>
#include <cstddef>

namespace squall::core {
namespace {

// Substrings, matched case-insensitively (alertnames come CamelCase, snake_case and prefixed:
// `SREPodOOMKilled`, `pod_restarting_frequently`).
constexpr std::array<std::string_view, 21> kSymptomWords = {
    "error", "latency", "slow", "timeout", "5xx",      "fail",     "dependency",
    "apdex", "slo",     "burn", "circuit", "upstream", "deadline", "retrans",
    "drop",  "lag",     "miss", "connect", "backlog",  "probe",    "unavailable"};
constexpr std::array<std::string_view, 15> kResourceWords = {
    "pod",   "oom", "memory", "cpu",  "throttl", "restart",    "crash",  "disk",
    "evict", "gc",  "leak",   "heap", "saturat", "filesystem", "waiting"};

constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool contains(std::string_view text, std::string_view word) {
  if (word.size() > text.size()) return false;
  for (std::size_t i = 0; i + word.size() <= text.size(); ++i) {
    std::size_t j = 0;
    while (j < word.size() && lower(text[i + j]) == word[j]) ++j;
    if (j == word.size()) return true;
  }
  return false;
}

constexpr std::array<std::string_view, 8> kBacklogWords = {
    "backlog",    "readymessages", "ready_messages", "unacked",
    "queuedepth", "queue_depth",   "queuelength",    "queue_length"};

constexpr std::array<std::string_view, 5> kDownWords = {"down", "unavailable", "notready",
                                                        "not_ready", "unreachable"};

}  // namespace

bool is_down_alertname(std::string_view alertname) {
  for (std::string_view w : kDownWords)
    if (contains(alertname, w)) return true;
  return false;
}

bool is_backlog_alertname(std::string_view alertname) {
  for (std::string_view w : kBacklogWords)
    if (contains(alertname, w)) return true;
  return false;
}

bool is_resource_alertname(std::string_view alertname) {
  for (std::string_view w : kSymptomWords)
    if (contains(alertname, w)) return false;
  for (std::string_view w : kResourceWords)
    if (contains(alertname, w)) return true;
  return false;
}

}  // namespace squall::core
