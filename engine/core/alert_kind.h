#pragma once
// What an alert's name says it is about: the symptoms a fault shows to callers (errors, latency,
// timeouts, SLO burn) or the state of the workload's own resources (CPU, memory, restarts, disk).
// Faults travel along calls as symptoms: a caller's errors can be its callee's fault, a caller's
// memory or CPU cannot. Read from the words of the alertname, the one label every rule has.

#include <string_view>

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

}  // namespace squall::core
