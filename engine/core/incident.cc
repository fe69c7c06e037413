#include "engine/core/incident.h"

namespace squall::core {

std::string_view join_reason_name(JoinReason r) {
  switch (r) {
    case JoinReason::kOpened:
      return "opened";
    case JoinReason::kSameService:
      return "same_service";
    case JoinReason::kSameNode:
      return "same_node";
    case JoinReason::kSamePod:
      return "same_pod";
    case JoinReason::kSameDeploy:
      return "same_deploy";
    case JoinReason::kTopology:
      return "topology";
    case JoinReason::kPlacement:
      return "placement";
    case JoinReason::kDimension:
      return "dimension";
    case JoinReason::kMerged:
      return "merged";
    case JoinReason::kSameUpstream:
      return "same_upstream";
    case JoinReason::kZoneBurst:
      return "zone_burst";
    case JoinReason::kNodeDown:
      return "node_down";
    case JoinReason::kPodBurst:
      return "pod_burst";
    case JoinReason::kServiceBurst:
      return "service_burst";
  }
  return "unknown";
}

Severity parse_severity(std::string_view s) {
  // Common spellings across Prometheus rule sets and vendors.
  if (s == "critical" || s == "crit" || s == "page" || s == "fatal" || s == "emergency" ||
      s == "P1")
    return Severity::kCritical;
  if (s == "error" || s == "err" || s == "high" || s == "major" || s == "P2")
    return Severity::kError;
  if (s == "warning" || s == "warn" || s == "medium" || s == "minor" || s == "P3")
    return Severity::kWarning;
  if (s == "info" || s == "low" || s == "none" || s == "notice" || s == "P4" || s == "P5")
    return Severity::kInfo;
  return Severity::kNone;
}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kCritical:
      return "critical";
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kInfo:
      return "info";
    case Severity::kNone:
      return "none";
  }
  return "none";
}

}  // namespace squall::core
