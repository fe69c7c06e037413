#include "engine/core/alert_kind.h"

#include <initializer_list>
#include <string>

#include <gtest/gtest.h>

namespace squall::core {
namespace {

void expect_resource(bool resource, std::initializer_list<const char*> names) {
  for (const char* name : names) EXPECT_EQ(is_resource_alertname(name), resource) << name;
}

TEST(AlertKindTest, NamesAboutAWorkloadsOwnResourcesAreResourceAlerts) {
  expect_resource(true, {"ContainerMemoryNearLimit", "KubePodCrashLooping", "CPUThrottlingHigh",
                         "SREPodOOMKilled", "pod_restarting_frequently", "HostOutOfDiskSpace",
                         "KubePodNotReady", "JvmGcPauseLong", "NodeFilesystemAlmostOutOfSpace",
                         "KubeContainerWaiting", "ElasticsearchHeapHigh"});
}

// A symptom word wins over a resource word; a name with neither is not a resource alert.
TEST(AlertKindTest, SymptomsAndNamesWithNeitherAreNotResourceAlerts) {
  expect_resource(
      false, {"HighErrorRate", "PodLatencyHigh", "DependencyFailing", "request_failure_rate_high",
              "ReadinessProbeFailed", "GrpcDeadlineExceeded", "SLOBurnRateHigh", "DiskIOTimeouts",
              "ConnectionPoolExhausted", "KafkaConsumerLag", "CircuitBreakerOpen"});
  expect_resource(false, {"TargetDown", "MongodbDown", "Watchdog", "CertificateExpiringSoon",
                          "KubeDeploymentReplicasMismatch", "", "x"});
}

TEST(AlertKindTest, AQueuePilingUpIsABacklogConsumerLagIsNot) {
  for (const char* name :
       {"RabbitmqTooManyReadyMessages", "RabbitmqQueueBacklog", "rabbitmq_ready_messages_high",
        "QueueDepthHigh", "SqsQueueLengthHigh", "RabbitmqTooManyUnackedMessages"})
    EXPECT_TRUE(is_backlog_alertname(name)) << name;
  for (const char* name : {"KafkaConsumerLag", "RabbitmqMemoryAlarm", "QueueConsumerStalled",
                           "HighErrorRate", "ReplicationLagHigh"})
    EXPECT_FALSE(is_backlog_alertname(name)) << name;
}

TEST(AlertKindTest, DownAndUnavailableNamesAreAvailabilityAlerts) {
  for (const char* name : {"TargetDown", "endpoint_down", "KubeDeploymentUnavailable",
                           "KubeNodeNotReady", "HostUnreachable", "node_not_ready"})
    EXPECT_TRUE(is_down_alertname(name)) << name;
  for (const char* name : {"HighLatencyP99", "KubePodCrashLooping", "HighErrorRate"})
    EXPECT_FALSE(is_down_alertname(name)) << name;
}

TEST(AlertKindTest, KindsPerInternedNameStayRightPastTheBound) {
  Interner in;
  AlertnameKinds kinds;
  const Sym backlog = in.intern("RabbitmqQueueBacklog");
  const Sym oom = in.intern("KubeContainerOOMKilled");
  EXPECT_EQ(kinds.of(0, in), 0);
  EXPECT_EQ(kinds.of(backlog, in), AlertnameKinds::kBacklog);
  EXPECT_EQ(kinds.of(oom, in), AlertnameKinds::kResource);
  EXPECT_EQ(kinds.of(in.intern("TargetDown"), in), AlertnameKinds::kDown);
  // A stream of unique alertnames: the cache starts over instead of growing, answers unchanged.
  for (std::size_t i = 0; i < AlertnameKinds::kMax + 10; ++i)
    EXPECT_EQ(kinds.of(in.intern("Rule" + std::to_string(i)), in), 0) << i;
  EXPECT_LE(kinds.size(), AlertnameKinds::kMax);
  EXPECT_EQ(kinds.of(backlog, in), AlertnameKinds::kBacklog);
  EXPECT_EQ(kinds.of(in.intern("PodCPUThrottled"), in), AlertnameKinds::kResource);
}

}  // namespace
}  // namespace squall::core
