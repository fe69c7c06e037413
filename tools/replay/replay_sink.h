#pragma once
// What `squall replay` keeps of one partition's run: each alert's id and incident, merges, the
// bundles in emission order, and (for --explain) why each alert joined. Wraps the partition's
// bundle Emitter: correlator callbacks are recorded, then forwarded to it.
//
// Thread contract: one per partition; every callback runs on the partition's shard thread. Read the
// results only after the pipeline has finished.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "engine/bundle/emitter.h"
#include "engine/core/fingerprint.h"
#include "engine/core/incident.h"
#include "engine/core/member_table.h"
#include "engine/pipeline/pipeline.h"

namespace squall::replay {

// Append-only text in fixed blocks: growing it never copies what is already there (a run's bundles
// are hundreds of MB).
class TextArena {
 public:
  // Where `s` went (block << 32 | offset).
  std::uint64_t append(std::string_view s) {
    if (blocks_.empty() || used_ + s.size() > cap_) {
      cap_ = std::max(kBlock, s.size());
      blocks_.push_back(std::make_unique_for_overwrite<char[]>(cap_));
      used_ = 0;
    }
    if (!s.empty()) std::memcpy(blocks_.back().get() + used_, s.data(), s.size());
    const std::uint64_t at = (static_cast<std::uint64_t>(blocks_.size() - 1) << 32) | used_;
    used_ += s.size();
    return at;
  }
  [[nodiscard]] std::string_view view(std::uint64_t at, std::uint32_t len) const {
    return {blocks_[at >> 32].get() + (at & 0xffffffffu), len};
  }

 private:
  static constexpr std::size_t kBlock = 4 << 20;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t cap_ = 0;
  std::size_t used_ = 0;
};

class ReplaySink final : public pipeline::PartitionHooks,
                         public correlate::Listener,
                         public bundle::Sink {
 public:
  // One input alert (change events excluded), in seq order. Kept only for the outputs that list
  // alerts (the assignments file, --explain).
  struct Row {
    std::uint64_t seq = 0;
    core::Fingerprint fingerprint = 0;
    std::int64_t id_off = 0;     // in ids_; for a derived id (id_len 0), the alert's ts
    std::uint32_t id_len = 0;    // 0: the id is format_derived_id(fingerprint, id_off)
    std::uint32_t incident = 0;  // Incident::number when assigned (before merges); 0: never
  };
  struct Bundle {                // one emission, in emission order
    std::int64_t watermark = 0;  // event time when it was emitted
    std::uint64_t off = 0;       // in bundle_text_
    std::uint32_t len = 0;
    std::uint32_t incident = 0;
  };
  struct Why {  // --explain: one assignment and the member's join reason at that time
    std::uint64_t seq = 0;
    std::uint32_t incident = 0;
    core::JoinReason reason = core::JoinReason::kOpened;
    float score = 0;
    core::Sym via = 0;
    core::Sym alertname = 0;
    core::Sym service = 0;
    core::Sym node = 0;
    std::uint32_t count = 0;   // alerts of its fingerprint so far
    bool after_close = false;  // a resolved re-send after the incident closed (no member)
  };

  // What the summary shows of an incident: its services and top hypothesis, from its closing
  // bundle.
  struct Summary {
    std::string services;
    std::string hypothesis;
  };
  // Where bundles go: nowhere but the summary, written as they come (one partition: emission order
  // is the output order), or kept for a merge of the partitions by watermark after the run.
  enum class Bundles { kSummaryOnly, kStream, kKeep };

  // `rows`: keep a Row per input alert (needed for the assignments file and --explain); without
  // them only per-incident counts are kept. `stream`: the file bundles are written to with
  // Bundles::kStream.
  ReplaySink(std::uint32_t partition, const bundle::Config& config, rca::Config rca_config,
             const core::Interner& interner, bool explain, bool rows = true,
             Bundles bundles = Bundles::kKeep, std::FILE* stream = nullptr);

  // pipeline::PartitionHooks
  correlate::Listener& listener() override { return *this; }
  void attach(const correlate::Correlator& correlator) override;
  void on_input(const core::AlertBatch& batch, const core::Alert& alert,
                std::uint64_t seq) override;

  // correlate::Listener (recorded, then forwarded to the emitter)
  void on_assigned(std::uint64_t seq, const core::Incident& incident) override;
  void on_assigned_closed(std::uint64_t seq, std::string_view incident_id,
                          std::uint64_t incident_number) override;
  void on_merged(const core::Incident& from, const core::Incident& into) override;
  void on_incident(const core::Incident& incident, correlate::IncidentEvent event,
                   std::int64_t watermark) override;
  void on_tick(std::int64_t watermark) override;

  // bundle::Sink
  void on_assigned(std::uint64_t seq, std::string_view incident_id) override;
  void on_merged(std::string_view from_id, std::string_view into_id) override;
  void on_bundle(const core::Incident& incident, std::string_view json) override;

  // Results.
  [[nodiscard]] std::uint32_t partition() const { return partition_; }
  [[nodiscard]] const std::vector<Row>& rows() const { return rows_; }
  // The alert's id; `buf` holds it when it is derived.
  [[nodiscard]] std::string_view id(const Row& r, core::MemberTable::IdBuf& buf) const {
    if (r.id_len == 0)
      return {buf.data(), core::format_derived_id(r.fingerprint, r.id_off, buf.data())};
    return {ids_.data() + r.id_off, r.id_len};
  }
  // Input alerts seen, and how many were assigned to each incident number (before merges).
  [[nodiscard]] std::uint64_t inputs() const { return inputs_; }
  [[nodiscard]] const std::vector<std::uint64_t>& assigned() const { return assigned_; }
  [[nodiscard]] const std::vector<Bundle>& bundles() const { return bundles_; }
  // The summary of incident `number` (empty when it never closed with a bundle).
  [[nodiscard]] const Summary& summary(std::uint32_t number) const;
  // False when writing a streamed bundle failed.
  [[nodiscard]] bool stream_ok() const { return stream_ok_; }
  [[nodiscard]] std::string_view json(const Bundle& b) const {
    return bundle_text_.view(b.off, b.len);
  }
  [[nodiscard]] const std::vector<Why>& explained() const { return why_; }
  // The incident `number` ends up in after every merge.
  [[nodiscard]] std::uint32_t final_incident(std::uint32_t number) const;
  // The Incident::id of `number` ("inc-<partition>-<number>").
  [[nodiscard]] const std::string& incident_id(std::uint32_t number) const;
  [[nodiscard]] std::uint32_t incidents() const {
    return static_cast<std::uint32_t>(ids_of_.size());
  }
  [[nodiscard]] const bundle::EmitterStats& emitter_stats() const { return emitter_.stats(); }
  // Resolves merges (call once, after the run).
  void resolve();

 private:
  void note_incident(const core::Incident& incident);
  Row* row_of(std::uint64_t seq);

  std::uint32_t partition_;
  bundle::Emitter emitter_;
  const correlate::Correlator* correlator_ = nullptr;
  bool explain_;
  bool keep_rows_;
  Bundles bundles_mode_;
  std::FILE* stream_;
  bool stream_ok_ = true;
  std::vector<Summary> summaries_;          // by incident number
  simdjson::ondemand::parser json_parser_;  // closing bundles, for the summary
  std::string json_padded_;
  std::uint64_t inputs_ = 0;
  std::vector<std::uint64_t> assigned_;  // by incident number
  std::int64_t watermark_ = INT64_MIN;

  std::vector<Row> rows_;
  std::string ids_;
  std::vector<std::uint32_t> parent_;  // by incident number: merged into (itself when not)
  std::vector<std::string> ids_of_;    // by incident number
  std::vector<Bundle> bundles_;
  TextArena bundle_text_;
  std::vector<Why> why_;
};

}  // namespace squall::replay
