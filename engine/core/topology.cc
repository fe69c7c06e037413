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
    bool inserted = false;
    std::uint32_t& idx = t.index_.upsert(s, &inserted);
    if (inserted) {
      idx = static_cast<std::uint32_t>(t.names_.size());
      t.names_.push_back(s);
      t.down_.emplace_back();
      t.up_.emplace_back();
    }
    return idx;
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
          const std::uint32_t v = *t.index_.find(s);
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
    std::sort(reach.begin(), reach.end(),
              [](const Reach& a, const Reach& b) { return a.other < b.other; });
  }
  t.callees_.assign(n, {});
  t.callers_.assign(n, {});
  for (std::uint32_t i = 0; i < n; ++i)
    for (const Reach& r : t.reach_[i])
      if (r.down > 0) {
        const std::uint32_t j = *t.index_.find(r.other);
        t.callees_[i].push_back(j);
        t.callers_[j].push_back(i);
      }
  for (auto& v : t.callees_) std::sort(v.begin(), v.end());
  if (n <= kMaxMatrix) {
    t.down_matrix_.assign(n * n, -1);
    t.any_matrix_.assign(n * n, -1);
    for (std::uint32_t i = 0; i < n; ++i) {
      t.down_matrix_[i * n + i] = t.any_matrix_[i * n + i] = 0;
      for (const Reach& r : t.reach_[i]) {
        const std::uint32_t j = *t.index_.find(r.other);
        t.down_matrix_[i * n + j] = r.down;
        t.any_matrix_[i * n + j] = r.any;
      }
    }
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
  const std::uint32_t* i = index_.find(from);
  if (!i) return -1;
  if (!down_matrix_.empty()) {
    const std::uint32_t* j = index_.find(to);
    return j ? down_matrix_[*i * names_.size() + *j] : -1;
  }
  const Reach* r = find_reach(reach_[*i], to);
  return r ? r->down : -1;
}

int Topology::hops(Sym a, Sym b) const {
  if (a == b) return 0;
  const std::uint32_t* i = index_.find(a);
  if (!i) return -1;
  if (!any_matrix_.empty()) {
    const std::uint32_t* j = index_.find(b);
    return j ? any_matrix_[*i * names_.size() + *j] : -1;
  }
  const Reach* r = find_reach(reach_[*i], b);
  return r ? r->any : -1;
}

const std::vector<Sym>& Topology::depends_on(Sym service) const {
  const std::uint32_t* i = index_.find(service);
  return i ? down_[*i] : kNone;
}

const std::vector<Sym>& Topology::dependents(Sym service) const {
  const std::uint32_t* i = index_.find(service);
  return i ? up_[*i] : kNone;
}

}  // namespace squall::core
