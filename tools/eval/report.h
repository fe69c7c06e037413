#pragma once
// How `squall eval` prints a Report: one JSON object (the keys of docs/DESIGN.md, "Command line",
// plus extras), or an aligned text table with a line per fault and the detail of every merge.
#include <string>
#include <string_view>

#include "tools/eval/metrics.h"

namespace squall::eval {

// `method` is "squall" or the baseline's description ("baseline group_by=service").
[[nodiscard]] std::string format_json(const Report& r, std::string_view method);
[[nodiscard]] std::string format_text(const Report& r, std::string_view method,
                                      std::string_view storm_dir);

}  // namespace squall::eval
