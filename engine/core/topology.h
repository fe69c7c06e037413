#pragma once
// The service dependency graph. `A depends_on B` means A calls B: a fault in B shows up as symptoms
// in A. Services are named by interned Sym; unknown services simply have no edges.
//
// Immutable once built: shared read-only by every shard (a snapshot swapped on reload).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/core/flat_map.h"
#include "engine/core/interner.h"
#include "engine/core/result.h"

namespace squall::core {

class Topology {
 public:
  // Builds from (service, depends_on) lists. Distances are precomputed up to `max_hops`.
  struct Entry {
    std::string service;
    std::vector<std::string> depends_on;
  };
  static Topology build(const std::vector<Entry>& entries, Interner& interner, int max_hops);

  [[nodiscard]] bool empty() const { return names_.empty(); }
  [[nodiscard]] std::size_t size() const { return names_.size(); }
  [[nodiscard]] bool knows(Sym service) const { return index_.find(service) != nullptr; }

  // Hops along depends_on edges from `from` to `to` (from calls ... calls to), or -1 when `to` is
  // not reachable within max_hops. 0 when equal.
  [[nodiscard]] int downstream_hops(Sym from, Sym to) const;
  // Dense index of a service (-1 when unknown), for callees_at / callers_at.
  [[nodiscard]] int index_of(Sym service) const {
    const std::uint32_t* i = index_.find(service);
    return i ? static_cast<int>(*i) : -1;
  }
  // Dense indexes of the services `i` reaches downstream within max_hops (it calls them,
  // transitively), and of those that reach `i` (its dependents): the ranker walks these instead of
  // asking about every pair of an incident's services.
  [[nodiscard]] const std::vector<std::uint32_t>& callees_at(int i) const {
    return callees_[static_cast<std::size_t>(i)];
  }
  [[nodiscard]] const std::vector<std::uint32_t>& callers_at(int i) const {
    return callers_[static_cast<std::size_t>(i)];
  }
  // Hops ignoring direction (either calls the other, transitively), or -1 past max_hops.
  [[nodiscard]] int hops(Sym a, Sym b) const;

  // Calls f(other, hops) for every service within max_hops of `service` (either direction).
  template <class F>
  void for_each_near(Sym service, F&& f) const {
    const std::uint32_t* i = index_.find(service);
    if (!i) return;
    for (const Reach& r : reach_[*i]) f(r.other, static_cast<int>(r.any));
  }

  [[nodiscard]] const std::vector<Sym>& depends_on(Sym service) const;
  [[nodiscard]] const std::vector<Sym>& dependents(Sym service) const;
  [[nodiscard]] int max_hops() const { return max_hops_; }
  [[nodiscard]] const std::vector<Sym>& services() const { return names_; }

 private:
  std::vector<Sym> names_;
  FlatMap<std::uint32_t> index_{64};  // service -> dense index
  // Distances as dense n x n matrices (-1 = beyond max_hops) when the graph is small enough, so
  // the correlator's per-candidate hop questions cost one load; larger graphs search `reach_`.
  static constexpr std::size_t kMaxMatrix = 2048;
  std::vector<std::int8_t> down_matrix_;
  std::vector<std::int8_t> any_matrix_;
  std::vector<std::vector<Sym>> down_;  // depends_on
  std::vector<std::vector<Sym>> up_;    // dependents
  // For each service: reachable services within max_hops, with directed and undirected distance.
  struct Reach {
    Sym other;
    std::int8_t down;  // -1 when not reachable downstream
    std::int8_t any;
  };
  std::vector<std::vector<Reach>> reach_;                      // sorted by `other`
  std::vector<std::vector<std::uint32_t>> callees_, callers_;  // by dense index, ascending
  int max_hops_ = 0;
  static const std::vector<Sym> kNone;
};

}  // namespace squall::core
