#pragma once
// What an alert's name says it is about: the symptoms a fault shows to callers (errors, latency,
// timeouts, SLO burn) or the state of the workload's own resources (CPU, memory, restarts, disk).
// Faults travel along calls as symptoms: a caller's errors can be its callee's fault, a caller's
// memory or CPU cannot. Read from the words of the alertname, the one label every rule has.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/core/flat_map.h"
#include "engine/core/interner.h"

namespace squall::core {

// True for an alertname about a workload's own resources or pods (KubePodCrashLooping,
// ContainerMemoryNearLimit, CPUThrottlingHigh, HostOutOfDiskSpace, ...) that names no symptom.
// A name with a symptom word (HighErrorRate, PodLatencyHigh, DiskIOTimeouts) is a symptom, and a
// name with neither (TargetDown, Watchdog, MongodbDown) is not classed as a resource alert.
[[nodiscard]] bool is_resource_alertname(std::string_view alertname);

// True for an alertname about messages piling up in a queue (RabbitmqTooManyReadyMessages,
// RabbitmqQueueBacklog, QueueDepthHigh): the broker is fine, its consumers are not keeping up.
// Consumer lag is not one of them: it is reported on the consumer and often means its broker
// is failing.
[[nodiscard]] bool is_backlog_alertname(std::string_view alertname);

// True for an alertname saying something is down or unavailable (TargetDown, EndpointDown,
// KubeDeploymentUnavailable, NodeNotReady, HostUnreachable): availability, not degradation.
[[nodiscard]] bool is_down_alertname(std::string_view alertname);

// All three, per interned alertname, computed once. Bounded: past kMax names (a stream of unique
// alertnames) it starts over rather than grow.
class AlertnameKinds {
 public:
  static constexpr std::uint8_t kResource = 1;
  static constexpr std::uint8_t kBacklog = 2;
  static constexpr std::uint8_t kDown = 4;
  static constexpr std::size_t kMax = std::size_t{1} << 16;

  // kResource, kBacklog and kDown bits of `name` (0 for no name).
  std::uint8_t of(Sym name, const Interner& interner) {
    if (name == 0) return 0;
    if (kinds_.size() >= kMax && kinds_.find(name) == nullptr) kinds_.clear();
    std::uint8_t& k = kinds_.upsert(name);
    if (k == 0) {
      const std::string_view v = interner.view(name);
      k = static_cast<std::uint8_t>(kKnown | (is_resource_alertname(v) ? kResource : 0) |
                                    (is_backlog_alertname(v) ? kBacklog : 0) |
                                    (is_down_alertname(v) ? kDown : 0));
    }
    return static_cast<std::uint8_t>(k & ~kKnown);
  }
  [[nodiscard]] std::size_t size() const { return kinds_.size(); }

 private:
  static constexpr std::uint8_t kKnown = 0x80;
  FlatMap<std::uint8_t, Sym> kinds_{256};
};

}  // namespace squall::core
