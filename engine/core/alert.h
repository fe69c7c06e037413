#pragma once
// The alert as it flows between stages, and the batch that owns its bytes.
//
// An Alert is a fixed-size record; its variable parts (labels, annotations, id) live in the
// AlertBatch that holds it, so a batch reused across parses allocates nothing in steady state.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/fingerprint.h"
#include "engine/core/interner.h"

namespace squall::core {

enum class Status : std::uint8_t { kFiring, kResolved };
enum class Kind : std::uint8_t { kAlert, kChange };

inline constexpr std::string_view status_name(Status s) {
  return s == Status::kFiring ? "firing" : "resolved";
}
inline constexpr std::string_view kind_name(Kind k) {
  return k == Kind::kAlert ? "alert" : "change";
}

// A byte range in a batch's arena.
struct StrRef {
  std::uint32_t off = 0;
  std::uint32_t len = 0;
  [[nodiscard]] bool empty() const { return len == 0; }
};

struct Label {
  Sym name = 0;
  Sym value = 0;
};

struct Annotation {
  StrRef name;
  StrRef value;
};

inline constexpr std::int64_t kNoTime = INT64_MIN;

struct Alert {
  Fingerprint fingerprint = 0;
  std::int64_t ts_ms = kNoTime;    // event time: `ts` / `startsAt`
  std::int64_t ends_ms = kNoTime;  // `endsAt` when given
  double value = 0;
  StrRef id;  // always set after parsing (derived from fingerprint and ts when absent)
  std::uint32_t labels_begin = 0;  // into AlertBatch::labels, sorted by name bytes
  std::uint32_t labels_count = 0;
  std::uint32_t annotations_begin = 0;
  std::uint32_t annotations_count = 0;
  Status status = Status::kFiring;
  Kind kind = Kind::kAlert;
  bool has_value = false;
  bool id_derived = false;  // `id` was absent: it is format_derived_id(fingerprint, ts_ms)
};

class AlertBatch {
 public:
  void clear() {
    alerts.clear();
    labels.clear();
    annotations.clear();
    arena.clear();
  }
  [[nodiscard]] std::size_t size() const { return alerts.size(); }
  [[nodiscard]] bool empty() const { return alerts.empty(); }

  [[nodiscard]] std::string_view str(StrRef r) const { return {arena.data() + r.off, r.len}; }
  StrRef add_str(std::string_view s) {
    StrRef r{static_cast<std::uint32_t>(arena.size()), static_cast<std::uint32_t>(s.size())};
    arena.append(s);
    return r;
  }
  // Appends a copy of `a` (held by `src`) with its labels, annotations and id; returns the copy.
  const Alert& append_copy(const AlertBatch& src, const Alert& a) {
    Alert copy = a;
    copy.labels_begin = static_cast<std::uint32_t>(labels.size());
    labels.insert(labels.end(), src.labels_of(a), src.labels_of(a) + a.labels_count);
    copy.annotations_begin = static_cast<std::uint32_t>(annotations.size());
    for (std::uint32_t i = 0; i < a.annotations_count; ++i) {
      const Annotation& an = src.annotations_of(a)[i];
      annotations.push_back({add_str(src.str(an.name)), add_str(src.str(an.value))});
    }
    copy.id = add_str(src.str(a.id));
    alerts.push_back(copy);
    return alerts.back();
  }
  // Keeps only the alerts at `indexes` (ascending), moved to the front in that order with their
  // labels, annotations and strings; alert k of the result is the one that was at indexes[k]. In
  // place, for batches filled by append_copy (each alert's strings follow the previous alert's):
  // every byte moves down, never up, so nothing is overwritten before it is read.
  void keep_only(const std::vector<std::uint32_t>& indexes) {
    std::size_t nl = 0, na = 0, ns = 0;
    auto move_str = [&](StrRef r) {
      if (r.len != 0) std::memmove(arena.data() + ns, arena.data() + r.off, r.len);
      r.off = static_cast<std::uint32_t>(ns);
      ns += r.len;
      return r;
    };
    for (std::size_t k = 0; k < indexes.size(); ++k) {
      Alert a = alerts[indexes[k]];
      if (a.labels_count != 0)
        std::memmove(labels.data() + nl, labels.data() + a.labels_begin,
                     a.labels_count * sizeof(Label));
      a.labels_begin = static_cast<std::uint32_t>(nl);
      nl += a.labels_count;
      for (std::uint32_t i = 0; i < a.annotations_count; ++i) {
        Annotation an = annotations[a.annotations_begin + i];
        an.name = move_str(an.name);
        an.value = move_str(an.value);
        annotations[na + i] = an;
      }
      a.annotations_begin = static_cast<std::uint32_t>(na);
      na += a.annotations_count;
      a.id = move_str(a.id);
      alerts[k] = a;
    }
    alerts.resize(indexes.size());
    labels.resize(nl);
    annotations.resize(na);
    arena.resize(ns);
  }
  [[nodiscard]] const Label* labels_of(const Alert& a) const {
    return labels.data() + a.labels_begin;
  }
  [[nodiscard]] const Annotation* annotations_of(const Alert& a) const {
    return annotations.data() + a.annotations_begin;
  }
  // The value of label `name` in `a`, or 0 when absent.
  [[nodiscard]] Sym label(const Alert& a, Sym name) const {
    const Label* l = labels_of(a);
    for (std::uint32_t i = 0; i < a.labels_count; ++i)
      if (l[i].name == name) return l[i].value;
    return 0;
  }

  std::vector<Alert> alerts;
  std::vector<Label> labels;
  std::vector<Annotation> annotations;
  std::string arena;
};

}  // namespace squall::core
