#include "engine/core/alert_kind.h"

#include <initializer_list>

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

}  // namespace
}  // namespace squall::core
