#pragma once
// Invariants every parse must keep, whatever the input: checked by all fuzz targets.
#include <cstdio>
#include <cstdlib>

#include "engine/core/well_known.h"
#include "engine/parse/parser.h"

namespace squall::fuzz {

inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

inline void check_batch(const core::AlertBatch& batch, const core::Interner& interner,
                        const parse::BodyResult& r, std::size_t accepted_before) {
  check(batch.alerts.size() - accepted_before == r.accepted, "accepted count equals alerts added");
  check(r.body_ok || r.accepted == 0, "a failed body adds nothing");
  for (const core::Alert& a : batch.alerts) {
    check(a.labels_begin + a.labels_count <= batch.labels.size(), "labels in range");
    check(a.annotations_begin + a.annotations_count <= batch.annotations.size(),
          "annotations in range");
    check(a.id.off + a.id.len <= batch.arena.size() && a.id.len > 0, "id set and in range");
    core::FingerprintBuilder fp;
    bool has_alertname = false;
    const core::Label* l = batch.labels_of(a);
    for (std::uint32_t i = 0; i < a.labels_count; ++i) {
      if (i > 0)
        check(interner.view(l[i - 1].name) < interner.view(l[i].name), "labels sorted, unique");
      check(l[i].value != 0, "no empty label values");
      has_alertname |= l[i].name == core::sym::kAlertname;
      fp.add(interner.view(l[i].name), interner.view(l[i].value));
    }
    check(has_alertname, "alertname present");
    check(fp.value() == a.fingerprint, "fingerprint matches labels");
  }
}

template <class ParseFn>
int run_one(const std::uint8_t* data, std::size_t size, ParseFn&& parse_fn) {
  static core::Interner interner;
  static parse::Parser parser(interner);
  core::AlertBatch batch;
  // Something already in the batch must survive whatever the input does.
  check(parser.parse_native(R"({"id":"keep","labels":{"alertname":"Keep"}})", batch, 1).has_value(),
        "a good alert parses");
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const parse::BodyResult r = parse_fn(parser, in, batch);
  check_batch(batch, interner, r, 1);
  check(batch.str(batch.alerts[0].id) == "keep", "earlier alerts untouched");
  return 0;
}

}  // namespace squall::fuzz
