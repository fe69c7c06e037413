#pragma once
// EvidenceDrafter: the default drafter. No network, no model: a deterministic draft built only
// from the bundle (the same bundle gives the same bytes).
//   timeline:         the first `timeline_entries` timeline entries, "HH:MM:SS service alertname
//                     ×count" (UTC), one per line, then "+N more" when cut;
//   likely_cause:     the top hypothesis, "likely cause: db-orders (score 0.81): earliest onset;
//                     7 dependents alerting after it" (or "insufficient evidence: ...");
//   confidence:       its score (0 without one);
//   evidence:         verbatim quotes: its reasons, its change summary, then the alertname and
//                     summary of each exemplar among its evidence ids (deduplicated, capped);
//   suggested_action: the runbook's action for it.
// Also the fallback of the LLM drafters.
#include <string_view>
#include <vector>

#include "plugins/drafters/common/bundle_view.h"
#include "plugins/drafters/common/config.h"
#include "plugins/drafters/common/drafter.h"

namespace squall::drafters {

class EvidenceDrafter final : public Drafter {
 public:
  explicit EvidenceDrafter(const DrafterConfig& config);
  [[nodiscard]] core::Result<DraftResult> draft(std::string_view bundle_json) override;
  [[nodiscard]] std::string_view name() const override { return "evidence"; }
  // The grounded draft of an already parsed bundle. Thread-safe (const, no state).
  [[nodiscard]] Draft draft_from(const BundleView& bundle) const;

 private:
  std::size_t timeline_entries_;
  std::size_t max_evidence_;
  std::vector<RunbookRule> runbook_;
};

// "HH:MM:SS" (UTC) of an epoch-milliseconds timestamp.
[[nodiscard]] std::string clock_time(std::int64_t ts_ms);

}  // namespace squall::drafters
