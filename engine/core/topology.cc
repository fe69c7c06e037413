#include "engine/core/topology.h"

#include <algorithm>
#include <deque>

namespace squall::core {

const std::vector<Sym> Topology::kNone;

Topology Topology::build(const std::vector<Entry>& entries, Interner& interner, int max_hops) {
  Topology t;
  t.max_hops_ = max_hops;
  auto index_of = [&](std::string_view name) {
    const Sym s = interner.intern(name);
    auto [it, inserted] = t.index_.try_emplace(s, static_cast<std::uint32_t>(t.names_.size()));
    if (inserted) {
      t.names_.push_back(s);
      t.down_.emplace_back();
      t.up_.emplace_back();
    }
    return it->second;
  };
  for (const Entry& e : entries) {
    const std::uint32_t from = index_of(e.service);
    for (const std::string& dep : e.depends_on) {
      const std::uint32_t to = index_of(dep);
      if (to == from) continue;
      auto& down = t.down_[from];
      if (std::find(down.begin(), down.end(), t.names_[to]) == down.end()) {
        down.push_back(t.names_[to]);
        t.up_[to].push_back(t.names_[from]);
      }
    }
  }
  // Bounded BFS from each service: directed (downstream) and undirected distances.
  const std::size_t n = t.names_.size();
  t.reach_.resize(n);
  std::vector<int> down_dist(n), any_dist(n);
  std::vector<std::uint32_t> touched;
  std::deque<std::uint32_t> queue;
  for (std::uint32_t src = 0; src < n; ++src) {
    touched.clear();
    auto bfs = [&](std::vector<int>& dist, bool undirected) {
      std::fill(dist.begin(), dist.end(), -1);
      dist[src] = 0;
      queue.assign(1, src);
      while (!queue.empty()) {
        const std::uint32_t u = queue.front();
        queue.pop_front();
        if (dist[u] >= max_hops) continue;
        auto visit = [&](Sym s) {
          const std::uint32_t v = t.index_.at(s);
          if (dist[v] < 0) {
            dist[v] = dist[u] + 1;
            queue.push_back(v);
            touched.push_back(v);
          }
        };
        for (Sym s : t.down_[u]) visit(s);
        if (undirected)
          for (Sym s : t.up_[u]) visit(s);
      }
    };
    bfs(down_dist, false);
    bfs(any_dist, true);
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    auto& reach = t.reach_[src];
    for (std::uint32_t v : touched) {
      if (v == src) continue;
      reach.push_back(Reach{t.names_[v], static_cast<std::int8_t>(down_dist[v]),
                            static_cast<std::int8_t>(any_dist[v])});
    }
    std::sort(reach.begin(), reach.end(), [](const Reach& a, const Reach& b) { return a.other < b.other; });
  }
  return t;
}

namespace {
template <class R>
const R* find_reach(const std::vector<R>& reach, Sym other) {
  auto it = std::lower_bound(reach.begin(), reach.end(), other,
                             [](const R& r, Sym s) { return r.other < s; });
  return it != reach.end() && it->other == other ? &*it : nullptr;
}
}  // namespace

int Topology::downstream_hops(Sym from, Sym to) const {
  if (from == to) return 0;
  auto it = index_.find(from);
  if (it == index_.end()) return -1;
  const Reach* r = find_reach(reach_[it->second], to);
  return r ? r->down : -1;
}

int Topology::hops(Sym a, Sym b) const {
  if (a == b) return 0;
  auto it = index_.find(a);
  if (it == index_.end()) return -1;
  const Reach* r = find_reach(reach_[it->second], b);
  return r ? r->any : -1;
}

const std::vector<Sym>& Topology::depends_on(Sym service) const {
  auto it = index_.find(service);
  return it == index_.end() ? kNone : down_[it->second];
}

const std::vector<Sym>& Topology::dependents(Sym service) const {
  auto it = index_.find(service);
  return it == index_.end() ? kNone : up_[it->second];
}

}  // namespace squall::core
