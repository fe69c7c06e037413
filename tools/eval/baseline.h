#pragma once
// The Alertmanager baseline: incidents as Alertmanager's `group_by` would form them, so that
// squall's scores always sit beside what a user gets today without squall.
//
// Alerts (not change events) are taken in file order. The group key is the values of the group_by
// labels (a missing label is the empty value; a label name no alert carries is fine). A group ends
// when an alert of its key comes more than `group_interval_ms` (event time) after the group's
// latest alert; the key then starts a new group. `...` groups by the whole label set, as in
// Alertmanager; an empty list puts every alert of the storm in one group per interval.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/alert.h"
#include "engine/core/interner.h"
#include "engine/core/result.h"

namespace squall::eval {

inline constexpr std::int64_t kDefaultGroupIntervalMs = 5 * 60 * 1000;

struct BaselineSpec {
  std::vector<std::string> labels;
  bool all_labels = false;  // group_by=...
  std::int64_t group_interval_ms = kDefaultGroupIntervalMs;
  // "baseline group_by=L1,L2" (with the interval appended when not the default): the report's
  // method.
  [[nodiscard]] std::string method() const;
};

// Parses "group_by=L1,L2,..." (also "group_by=..." and "group_by=").
[[nodiscard]] core::Result<BaselineSpec> parse_baseline(std::string_view spec);

// Parses a duration: a non-negative integer with a unit of ms, s, m or h ("5m", "300s").
[[nodiscard]] core::Result<std::int64_t> parse_duration_ms(std::string_view s);

// One assignment per alert of `batch` that is not a change event, in batch order; incident ids are
// "g-<n>", numbered from 1 in order of creation.
struct BaselineAssignment {
  std::vector<std::string> alert_ids;
  std::vector<std::string> incident;
};
[[nodiscard]] BaselineAssignment assign_baseline(const core::AlertBatch& batch,
                                                 const core::Interner& interner,
                                                 const BaselineSpec& spec);

}  // namespace squall::eval
