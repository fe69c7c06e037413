#pragma once
// Label names with a meaning to squall. They are interned first, in this order, by every Interner,
// so their Syms are constants. Which label plays which role is configurable at the correlator;
// these are the defaults from docs/DESIGN.md.
#include <array>
#include <string_view>

#include "engine/core/interner.h"

namespace squall::core {

inline constexpr std::array<std::string_view, 11> kWellKnownNames = {
    "alertname", "service",  "namespace", "pod",         "node", "instance",
    "cluster",   "severity", "deploy",    "change_type", "job",
};

namespace sym {
inline constexpr Sym kAlertname = 1;
inline constexpr Sym kService = 2;
inline constexpr Sym kNamespace = 3;
inline constexpr Sym kPod = 4;
inline constexpr Sym kNode = 5;
inline constexpr Sym kInstance = 6;
inline constexpr Sym kCluster = 7;
inline constexpr Sym kSeverity = 8;
inline constexpr Sym kDeploy = 9;
inline constexpr Sym kChangeType = 10;
inline constexpr Sym kJob = 11;
}  // namespace sym

}  // namespace squall::core
