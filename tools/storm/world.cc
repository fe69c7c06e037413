#include "tools/storm/world.h"

#include <algorithm>
#include <array>
#include <set>
#include <unordered_set>

#include <fmt/format.h>

namespace squall::storm {
namespace {

constexpr std::array<std::string_view, 6> kEdgeNames = {"api-gateway",     "edge-proxy",
                                                        "mobile-gateway",  "partner-gateway",
                                                        "graphql-gateway", "public-api"};
constexpr std::array<std::string_view, 8> kFrontendNames = {
    "web-frontend", "mobile-bff",     "web-bff",       "storefront",
    "admin-portal", "partner-portal", "seller-portal", "checkout-web"};
constexpr std::array<std::string_view, 40> kDomainNames = {"checkout",
                                                           "cart",
                                                           "orders",
                                                           "payments",
                                                           "inventory",
                                                           "catalog",
                                                           "search",
                                                           "pricing",
                                                           "shipping",
                                                           "accounts",
                                                           "recommendations",
                                                           "reviews",
                                                           "notifications",
                                                           "fraud-check",
                                                           "loyalty",
                                                           "promotions",
                                                           "invoicing",
                                                           "returns",
                                                           "wishlist",
                                                           "fulfillment",
                                                           "tax",
                                                           "ledger",
                                                           "subscriptions",
                                                           "media",
                                                           "content",
                                                           "support-tickets",
                                                           "refunds",
                                                           "warehouse",
                                                           "delivery-tracking",
                                                           "coupons",
                                                           "billing",
                                                           "quotes",
                                                           "gift-cards",
                                                           "customer-data",
                                                           "marketplace",
                                                           "sellers",
                                                           "ratings",
                                                           "bookings",
                                                           "routing",
                                                           "payouts"};
constexpr std::array<std::string_view, 18> kPlatformNames = {
    "auth",           "user-profile",   "session",      "feature-flags",
    "rate-limiter",   "config-service", "email-sender", "sms-gateway",
    "audit-log",      "geo-ip",         "currency",     "id-generator",
    "secrets-broker", "image-resizer",  "pdf-renderer", "address-validation",
    "webhooks",       "scheduler"};
constexpr std::array<std::string_view, 6> kBatchNames = {"report-builder",     "etl-worker",
                                                         "ml-feature-builder", "video-transcoder",
                                                         "search-indexer",     "data-exporter"};
// When a pool runs out, services are named `<domain word>-<role>` like real estates grow.
constexpr std::array<std::string_view, 8> kRoles = {
    "api", "worker", "sync", "indexer", "consumer", "projector", "scheduler", "adapter"};
constexpr std::array<std::string_view, 10> kCacheWords = {
    "sessions", "cache",   "cart",   "ratelimit", "locks",
    "pricing",  "catalog", "tokens", "feeds",     "geo"};
constexpr std::array<std::string_view, 9> kTopicWords = {
    "events",        "orders",    "payments", "audit", "clickstream",
    "notifications", "inventory", "cdc",      "outbox"};
constexpr std::array<std::string_view, 4> kQueueWords = {"jobs", "notifications", "emails",
                                                         "webhooks"};
constexpr std::array<std::string_view, 4> kSearchWords = {"search", "catalog", "logs", "products"};
constexpr std::array<std::string_view, 4> kTeams = {"team-commerce", "team-fulfilment",
                                                    "team-growth", "team-money"};
constexpr std::string_view kPodHashChars = "bcdfghjklmnpqrstvwxz2456789";  // as Kubernetes uses

struct RegionSpec {
  std::string_view cluster, region;
};
constexpr std::array<RegionSpec, 6> kRegions = {{{"prod-eu-west-1", "eu-west-1"},
                                                 {"prod-us-east-1", "us-east-1"},
                                                 {"prod-ap-southeast-1", "ap-southeast-1"},
                                                 {"prod-eu-central-1", "eu-central-1"},
                                                 {"prod-us-west-2", "us-west-2"},
                                                 {"prod-sa-east-1", "sa-east-1"}}};

class Builder {
 public:
  Builder(std::uint64_t seed, WorldSize size) : rng_(seed), size_(size) {}

  World build() {
    const std::uint32_t n = std::max(size_.services, kMinServices);
    const std::uint32_t edge = std::max<std::uint32_t>(1, n * 4 / 100);
    const std::uint32_t frontend = std::max<std::uint32_t>(1, n * 8 / 100);
    const std::uint32_t platform = std::max<std::uint32_t>(2, n * 12 / 100);
    const std::uint32_t batch = std::max<std::uint32_t>(1, n * 4 / 100);
    const std::uint32_t stores = std::max<std::uint32_t>(3, n * 28 / 100);
    const std::uint32_t domain = n - edge - frontend - platform - batch - stores;

    add_layer(Layer::kEdge, edge, {kEdgeNames.begin(), kEdgeNames.end()}, "ingress");
    add_layer(Layer::kFrontend, frontend, {kFrontendNames.begin(), kFrontendNames.end()}, "web");
    add_layer(Layer::kDomain, domain, {kDomainNames.begin(), kDomainNames.end()}, "");
    add_layer(Layer::kPlatform, platform, {kPlatformNames.begin(), kPlatformNames.end()},
              "platform");
    add_layer(Layer::kBatch, batch, {kBatchNames.begin(), kBatchNames.end()}, "batch");
    wire_services();
    add_stores(stores);
    ensure_callers();
    build_clusters();
    return std::move(w_);
  }

 private:
  std::vector<std::uint32_t> of_layer(Layer l) const {
    std::vector<std::uint32_t> v;
    for (std::uint32_t i = 0; i < w_.services.size(); ++i)
      if (w_.services[i].layer == l) v.push_back(i);
    return v;
  }

  std::string unique_name(std::string base) {
    if (names_.insert(base).second) return base;
    for (int k = 2;; ++k) {
      std::string alt = fmt::format("{}-{}", base, k);
      if (names_.insert(alt).second) return alt;
    }
  }

  void add_layer(Layer layer, std::uint32_t count, std::vector<std::string_view> pool,
                 std::string_view ns) {
    rng_.shuffle(pool);
    std::vector<std::string_view> words(kDomainNames.begin(), kDomainNames.end());
    for (std::uint32_t i = 0; i < count; ++i) {
      std::string name;
      if (i < pool.size()) {
        name = std::string(pool[i]);
      } else {
        const std::string_view word = rng_.pick(words);
        name = fmt::format("{}-{}", word, kRoles[rng_.index(kRoles.size())]);
      }
      Service s;
      s.name = unique_name(std::move(name));
      s.layer = layer;
      if (!ns.empty()) {
        s.ns = std::string(ns);
      } else {
        // Domain services live in a few business namespaces, like real estates.
        static constexpr std::array<std::string_view, 4> kNs = {"shop", "commerce", "fulfilment",
                                                                "money"};
        s.ns = std::string(kNs[rng_.index(kNs.size())]);
      }
      s.team = std::string(kTeams[rng_.index(kTeams.size())]);
      s.major = rng_.range_u32(1, 4);
      s.minor = rng_.range_u32(0, 30);
      s.patch = rng_.range_u32(0, 12);
      s.port = layer == Layer::kEdge ? 8443 : (rng_.chance(0.5) ? 8080 : 9090);
      w_.services.push_back(std::move(s));
    }
  }

  void depend(std::uint32_t from, std::uint32_t to) {
    if (from == to) return;
    auto& d = w_.services[from].deps;
    if (std::find(d.begin(), d.end(), to) != d.end()) return;
    d.push_back(to);
    w_.services[to].dependents.push_back(from);
  }

  void wire_services() {
    const auto edge = of_layer(Layer::kEdge);
    const auto front = of_layer(Layer::kFrontend);
    const auto dom = of_layer(Layer::kDomain);
    const auto plat = of_layer(Layer::kPlatform);
    const auto batch = of_layer(Layer::kBatch);
    for (auto e : edge) {
      const auto k = rng_.range(1, 3);
      for (std::int64_t i = 0; i < k; ++i) depend(e, rng_.pick(front));
      if (rng_.chance(0.6)) depend(e, plat[0]);
    }
    // Frontends call the "upper" half of the domain services more often: that is where the
    // user-facing entry points are.
    for (auto f : front) {
      const auto k = rng_.range(2, 5);
      for (std::int64_t i = 0; i < k; ++i) {
        const std::size_t half = std::max<std::size_t>(1, dom.size() / 2);
        depend(f, rng_.chance(0.75) ? dom[rng_.index(half)] : rng_.pick(dom));
      }
      if (rng_.chance(0.7)) depend(f, rng_.pick(plat));
    }
    // Domain services form a DAG: i may call j > i, mostly nearby ones.
    for (std::size_t i = 0; i < dom.size(); ++i) {
      const auto k = rng_.range(0, 3);
      for (std::int64_t c = 0; c < k && i + 1 < dom.size(); ++c) {
        const std::size_t span = std::min<std::size_t>(8, dom.size() - i - 1);
        depend(dom[i], dom[i + 1 + rng_.index(span)]);
      }
      if (rng_.chance(0.55)) depend(dom[i], rng_.pick(plat));
      if (rng_.chance(0.2)) depend(dom[i], rng_.pick(plat));
    }
    for (std::size_t i = 0; i + 1 < plat.size(); ++i)
      if (rng_.chance(0.25)) depend(plat[i], plat[i + 1 + rng_.index(plat.size() - i - 1)]);
    for (auto b : batch)
      if (rng_.chance(0.5)) depend(b, rng_.pick(dom));
  }

  // `<prefix>-<word>` with a word not yet taken, if a few draws find one.
  template <std::size_t N>
  std::string store_name(std::string_view prefix, const std::array<std::string_view, N>& words) {
    std::string name;
    for (int tries = 0; tries < 8; ++tries) {
      name = fmt::format("{}-{}", prefix, words[rng_.index(N)]);
      if (!names_.count(name)) break;
    }
    return name;
  }

  std::uint32_t add_store(StoreKind kind, std::string name) {
    Service s;
    s.name = unique_name(std::move(name));
    s.layer = Layer::kDatastore;
    s.store = kind;
    s.ns = "data";
    s.team = "team-platform-data";
    s.major = rng_.range_u32(5, 16);
    s.minor = rng_.range_u32(0, 9);
    const bool relational = kind == StoreKind::kPostgres || kind == StoreKind::kMysql;
    s.managed = relational && rng_.chance(0.35);
    switch (kind) {
      case StoreKind::kPostgres:
        s.port = 5432;
        break;
      case StoreKind::kMysql:
        s.port = 3306;
        break;
      case StoreKind::kRedis:
        s.port = 6379;
        break;
      case StoreKind::kKafka:
        s.port = 9092;
        break;
      case StoreKind::kRabbitmq:
        s.port = 5672;
        break;
      case StoreKind::kElasticsearch:
        s.port = 9200;
        break;
      case StoreKind::kMongo:
        s.port = 27017;
        break;
      case StoreKind::kCassandra:
        s.port = 9042;
        break;
      case StoreKind::kMemcached:
        s.port = 11211;
        break;
      case StoreKind::kNone:
        break;
    }
    w_.services.push_back(std::move(s));
    return static_cast<std::uint32_t>(w_.services.size() - 1);
  }

  void add_stores(std::uint32_t count) {
    auto owners = of_layer(Layer::kDomain);
    const auto plat = of_layer(Layer::kPlatform);
    owners.insert(owners.end(), plat.begin(), plat.end());
    rng_.shuffle(owners);
    std::size_t next_owner = 0;
    std::vector<std::uint32_t> users = of_layer(Layer::kDomain);
    users.insert(users.end(), plat.begin(), plat.end());
    const auto front = of_layer(Layer::kFrontend);
    const auto batch = of_layer(Layer::kBatch);
    for (std::uint32_t k = 0; k < count; ++k) {
      const double r = rng_.uniform();
      const auto some_users = [&](std::uint32_t store, std::int64_t lo, std::int64_t hi) {
        const auto m = rng_.range(lo, hi);
        for (std::int64_t i = 0; i < m; ++i) depend(rng_.pick(users), store);
      };
      if ((r < 0.5 || k < 2) && next_owner < owners.size()) {
        // A service's own database, sometimes shared with a neighbour or read by a batch job.
        const std::uint32_t owner = owners[next_owner++];
        const double t = rng_.uniform();
        StoreKind kind = StoreKind::kPostgres;
        std::string_view prefix = "db";
        if (t > 0.92) {
          kind = StoreKind::kCassandra, prefix = "cassandra";
        } else if (t > 0.82) {
          kind = StoreKind::kMongo, prefix = "mongo";
        } else if (t > 0.68) {
          kind = StoreKind::kMysql, prefix = "mysql";
        }
        const auto s = add_store(kind, fmt::format("{}-{}", prefix, w_.services[owner].name));
        depend(owner, s);
        if (rng_.chance(0.3)) depend(rng_.pick(users), s);
        if (!batch.empty() && rng_.chance(0.3)) depend(rng_.pick(batch), s);
      } else if (r < 0.72) {
        const bool memcached = rng_.chance(0.15);
        const auto s = add_store(memcached ? StoreKind::kMemcached : StoreKind::kRedis,
                                 store_name(memcached ? "memcached" : "redis", kCacheWords));
        some_users(s, 1, 4);
        if (!front.empty() && rng_.chance(0.4)) depend(rng_.pick(front), s);
      } else if (r < 0.87) {
        const auto s = add_store(StoreKind::kKafka, store_name("kafka", kTopicWords));
        some_users(s, 2, 6);
        if (!batch.empty() && rng_.chance(0.5)) depend(rng_.pick(batch), s);
      } else if (r < 0.94) {
        const auto s =
            add_store(StoreKind::kElasticsearch, store_name("elasticsearch", kSearchWords));
        some_users(s, 1, 3);
        if (!batch.empty()) depend(rng_.pick(batch), s);
      } else {
        const auto s = add_store(StoreKind::kRabbitmq, store_name("rabbitmq", kQueueWords));
        some_users(s, 1, 4);
      }
    }
  }

  void ensure_callers() {
    const auto front = of_layer(Layer::kFrontend);
    const auto dom = of_layer(Layer::kDomain);
    for (std::uint32_t i = 0; i < w_.services.size(); ++i) {
      const Service& s = w_.services[i];
      if (!s.dependents.empty() || s.layer == Layer::kEdge || s.layer == Layer::kBatch) continue;
      if (s.layer == Layer::kDomain) {
        // Caller: an earlier domain service (keeps the DAG) or a frontend.
        std::vector<std::uint32_t> earlier;
        for (auto d : dom)
          if (d < i) earlier.push_back(d);
        depend(!earlier.empty() && rng_.chance(0.5) ? rng_.pick(earlier) : rng_.pick(front), i);
      } else if (s.layer == Layer::kPlatform || s.layer == Layer::kDatastore) {
        depend(rng_.pick(dom), i);
      } else if (s.layer == Layer::kFrontend) {
        depend(rng_.pick(of_layer(Layer::kEdge)), i);
      }
    }
  }

  std::string rs_hash() {
    std::string h;
    const auto len = rng_.range(9, 10);
    for (std::int64_t i = 0; i < len; ++i)
      h.push_back(kPodHashChars[rng_.index(kPodHashChars.size())]);
    return h;
  }
  std::string pod_suffix() {
    std::string h;
    for (int i = 0; i < 5; ++i) h.push_back(kPodHashChars[rng_.index(kPodHashChars.size())]);
    return h;
  }

  std::uint32_t replicas(const Service& s) {
    switch (s.layer) {
      case Layer::kEdge:
        return rng_.range_u32(3, 6);
      case Layer::kFrontend:
        return rng_.range_u32(2, 5);
      case Layer::kDomain:
        return rng_.range_u32(2, 5);
      case Layer::kPlatform:
        return rng_.range_u32(2, 4);
      case Layer::kBatch:
        return rng_.range_u32(1, 2);
      case Layer::kDatastore:
        switch (s.store) {
          case StoreKind::kKafka:
          case StoreKind::kElasticsearch:
          case StoreKind::kCassandra:
          case StoreKind::kRabbitmq:
            return 3;
          case StoreKind::kRedis:
            return rng_.range_u32(1, 3);
          default:
            return rng_.range_u32(1, 3);
        }
    }
    return 2;
  }

  void build_clusters() {
    const std::uint32_t nc = std::max<std::uint32_t>(1, std::min<std::uint32_t>(size_.clusters, 6));
    const std::uint32_t nn = std::max<std::uint32_t>(3, size_.nodes_per_cluster);
    std::unordered_set<std::string> ips;
    for (std::uint32_t c = 0; c < nc; ++c) {
      Cluster cl;
      cl.name = std::string(kRegions[c].cluster);
      cl.region = std::string(kRegions[c].region);
      for (char z : {'a', 'b', 'c'}) cl.zones.push_back(cl.region + z);
      for (std::uint32_t i = 0; i < nn; ++i) {
        Node node;
        node.cluster = c;
        node.zone = i % 3;
        // Subnets per zone, as VPCs are usually laid out: 10.<c>.<zone*32 + k>.<host>.
        do {
          const std::uint32_t subnet = node.zone * 32 + rng_.range_u32(0, 31);
          node.ip = fmt::format("10.{}.{}.{}", c, subnet, rng_.range_u32(4, 254));
        } while (!ips.insert(node.ip).second);
        node.name = "ip-" + node.ip;
        std::replace(node.name.begin(), node.name.end(), '.', '-');
        cl.nodes.push_back(static_cast<std::uint32_t>(w_.nodes.size()));
        w_.nodes.push_back(std::move(node));
      }
      cl.pods_of.resize(w_.services.size());
      cl.managed_host.resize(w_.services.size());
      std::vector<std::vector<std::uint32_t>> by_zone(3);
      for (auto n : cl.nodes) by_zone[w_.nodes[n].zone].push_back(n);
      for (std::uint32_t s = 0; s < w_.services.size(); ++s) {
        const Service& svc = w_.services[s];
        if (svc.managed) {
          cl.managed_host[s] = fmt::format("{}.{}.{}.rds.amazonaws.com:{}", svc.name, pod_suffix(),
                                           cl.region, svc.port);
          continue;
        }
        const std::uint32_t r = replicas(svc);
        const std::string hash = rs_hash();
        const std::uint32_t zone0 = rng_.range_u32(0, 2);
        const bool stateful = svc.layer == Layer::kDatastore;
        for (std::uint32_t k = 0; k < r; ++k) {
          Pod p;
          p.service = s;
          p.cluster = c;
          p.node = rng_.pick(by_zone[(zone0 + k) % 3]);
          p.name = stateful ? fmt::format("{}-{}", svc.name, k)
                            : fmt::format("{}-{}-{}", svc.name, hash, pod_suffix());
          do {
            const std::uint32_t subnet = rng_.range_u32(0, 255);
            p.ip = fmt::format("10.{}.{}.{}", 100 + c, subnet, rng_.range_u32(2, 254));
          } while (!ips.insert(p.ip).second);
          const auto id = static_cast<std::uint32_t>(w_.pods.size());
          w_.nodes[p.node].pods.push_back(id);
          cl.pods_of[s].push_back(id);
          w_.pods.push_back(std::move(p));
        }
      }
      w_.clusters.push_back(std::move(cl));
    }
  }

  Rng rng_;
  WorldSize size_;
  World w_;
  std::set<std::string> names_;
};

}  // namespace

World build_world(std::uint64_t seed, WorldSize size) { return Builder(seed, size).build(); }

void append_topology_yaml(const World& world, std::string& out) {
  out.append("services:\n");
  for (const Service& s : world.services) {
    out.append("  ").append(s.name).append(": ");
    if (s.deps.empty()) {
      out.append("{}\n");
      continue;
    }
    out.append("{depends_on: [");
    for (std::size_t i = 0; i < s.deps.size(); ++i) {
      if (i) out.append(", ");
      out.append(world.services[s.deps[i]].name);
    }
    out.append("]}\n");
  }
}

std::string_view store_kind_name(StoreKind k) {
  switch (k) {
    case StoreKind::kNone:
      return "service";
    case StoreKind::kPostgres:
      return "postgres";
    case StoreKind::kMysql:
      return "mysql";
    case StoreKind::kRedis:
      return "redis";
    case StoreKind::kKafka:
      return "kafka";
    case StoreKind::kRabbitmq:
      return "rabbitmq";
    case StoreKind::kElasticsearch:
      return "elasticsearch";
    case StoreKind::kMongo:
      return "mongodb";
    case StoreKind::kCassandra:
      return "cassandra";
    case StoreKind::kMemcached:
      return "memcached";
  }
  return "service";
}

}  // namespace squall::storm
