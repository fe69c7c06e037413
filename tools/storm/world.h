#pragma once
// The synthetic estate a storm happens in: a layered service topology (edge -> frontends/BFFs ->
// domain services -> platform services -> datastores), clusters with zones and nodes, and the pods
// of each service placed on nodes so that a node hosts pods of several services.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tools/storm/rng.h"

namespace squall::storm {

enum class Layer : std::uint8_t { kEdge, kFrontend, kDomain, kPlatform, kBatch, kDatastore };

enum class StoreKind : std::uint8_t {
  kNone,
  kPostgres,
  kMysql,
  kRedis,
  kKafka,
  kRabbitmq,
  kElasticsearch,
  kMongo,
  kCassandra,
  kMemcached,
};

struct Service {
  std::string name;
  Layer layer = Layer::kDomain;
  StoreKind store = StoreKind::kNone;
  bool managed = false;  // a cloud-managed datastore: no pods, no node, seen through its endpoint
  std::string ns;
  std::string team;
  std::uint32_t major = 1, minor = 0, patch = 0;  // the running version
  std::uint16_t port = 8080;
  std::vector<std::uint32_t> deps;        // services this one calls
  std::vector<std::uint32_t> dependents;  // services that call this one
};

struct Node {
  std::string name;  // ip-10-0-3-8
  std::string ip;
  std::uint32_t cluster = 0;
  std::uint32_t zone = 0;  // index into the cluster's zones
  std::vector<std::uint32_t> pods;
};

struct Pod {
  std::string name;
  std::string ip;
  std::uint32_t service = 0;
  std::uint32_t node = 0;
  std::uint32_t cluster = 0;
};

struct Cluster {
  std::string name;    // prod-eu-west-1
  std::string region;  // eu-west-1
  std::vector<std::string> zones;
  std::vector<std::uint32_t> nodes;
  std::vector<std::vector<std::uint32_t>> pods_of;  // by service index
  std::vector<std::string> managed_host;            // by service index, for managed datastores
};

struct World {
  std::vector<Service> services;
  std::vector<Cluster> clusters;
  std::vector<Node> nodes;
  std::vector<Pod> pods;
};

struct WorldSize {
  std::uint32_t services = 40;
  std::uint32_t nodes_per_cluster = 16;
  std::uint32_t clusters = 1;
};

// Deterministic for (seed, size). At least kMinServices services and 3 nodes per cluster.
inline constexpr std::uint32_t kMinServices = 12;
World build_world(std::uint64_t seed, WorldSize size);

// The topology in the DESIGN format: `services:` then `  name: {depends_on: [a, b]}` per service.
void append_topology_yaml(const World& world, std::string& out);

std::string_view store_kind_name(StoreKind k);

}  // namespace squall::storm
