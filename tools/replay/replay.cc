#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <simdjson.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/core/interner.h"
#include "engine/core/time.h"
#include "engine/pipeline/pipeline.h"
#include "io/config_loader.h"
#include "io/topology_loader.h"
#include "tools/replay/replay_command.h"
#include "tools/replay/replay_sink.h"

namespace squall::replay {
namespace {

using Clock = std::chrono::steady_clock;

// A file that closes itself.
struct File {
  std::FILE* f = nullptr;
  ~File() {
    if (f) std::fclose(f);
  }
};

// Buffered writes with one error check at the end.
class Writer {
 public:
  explicit Writer(std::FILE* f) : f_(f) { buf_.reserve(kFlush + 4096); }
  void put(std::string_view s) {
    buf_.append(s);
    if (buf_.size() >= kFlush) flush();
  }
  void put(char c) { buf_.push_back(c); }
  bool flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) ok_ = false;
    buf_.clear();
    return ok_;
  }
  [[nodiscard]] bool close() {
    flush();
    return std::fflush(f_) == 0 && ok_;
  }

 private:
  static constexpr std::size_t kFlush = 1 << 20;
  std::FILE* f_;
  std::string buf_;
  bool ok_ = true;
};

std::string human_rate(double per_s) {
  char buf[64];
  if (per_s >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2f M", per_s / 1e6);
  else if (per_s >= 1e3)
    std::snprintf(buf, sizeof buf, "%.1f k", per_s / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f ", per_s);
  return buf;
}

std::string human_bytes(double b) {
  char buf[64];
  if (b >= 1e9)
    std::snprintf(buf, sizeof buf, "%.2f GB", b / 1e9);
  else if (b >= 1e6)
    std::snprintf(buf, sizeof buf, "%.1f MB", b / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.0f kB", b / 1e3);
  return buf;
}

std::size_t count_lines(const char* p, std::size_t n) {
  std::size_t lines = 0;
  const char* end = p + n;
  while (p < end) {
    const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    if (!nl) break;
    ++lines;
    p = static_cast<const char*>(nl) + 1;
  }
  return lines;
}

struct ThreadSplit {
  std::uint32_t parse = 0;
  std::uint32_t shard = 0;
};

ThreadSplit split_threads(const ReplayOptions& o, std::uint32_t partitions) {
  if (o.parse_threads >= 0 && o.shard_threads >= 0)
    return {static_cast<std::uint32_t>(o.parse_threads),
            static_cast<std::uint32_t>(o.shard_threads)};
  std::uint32_t n = o.threads;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  if (n <= 1) return {0, 0};
  if (partitions <= 1) return {n - 1, 1};
  const std::uint32_t shards = std::max(1u, n / 2);
  return {std::max(1u, n - shards), shards};
}

// A regular file mapped read-only, followed by at least Chunk::kPadding readable bytes (zero
// pages of the same reservation), so that chunks can point into it.
class MappedFile {
 public:
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile() {
    if (base_) ::munmap(base_, reserved_);
  }
  // False when the file cannot be mapped (the caller reads it instead).
  bool map(int fd, std::size_t size) {
    if (size == 0) return false;
    const std::size_t page = page_size();
    reserved_ = (size + pipeline::Chunk::kPadding + page - 1) / page * page;
    void* base = ::mmap(nullptr, reserved_, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) return false;
    if (::mmap(base, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED) {
      ::munmap(base, reserved_);
      return false;
    }
    ::madvise(base, size, MADV_SEQUENTIAL);
    base_ = static_cast<char*>(base);
    size_ = size;
    return true;
  }
  [[nodiscard]] const char* data() const { return base_; }
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t readable_from(std::size_t off) const { return reserved_ - off; }
  // Gives back the pages wholly below `off` (RSS stays bounded on large files). Safe even while
  // a chunk still points there: a private, unmodified file mapping reads the file again.
  void drop_below(std::size_t off) {
    const std::size_t end = off / page_size() * page_size();
    if (end > dropped_) {
      ::madvise(base_ + dropped_, end - dropped_, MADV_DONTNEED);
      dropped_ = end;
    }
  }

 private:
  static std::size_t page_size() { return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)); }
  char* base_ = nullptr;
  std::size_t size_ = 0;
  std::size_t reserved_ = 0;
  std::size_t dropped_ = 0;
};

// Progress on stderr, about once a second.
class Progress {
 public:
  Progress(bool on, std::uint64_t file_bytes, std::FILE* err)
      : on_(on), file_bytes_(file_bytes), err_(err), t0_(Clock::now()), last_(t0_) {}
  void update(std::uint64_t read, std::uint64_t lines) {
    if (!on_) return;
    const auto now = Clock::now();
    if (now - last_ < std::chrono::seconds(1)) return;
    last_ = now;
    const double s = std::chrono::duration<double>(now - t0_).count();
    std::fprintf(
        err_, "replay: %s of %s (%.0f%%), %llu lines, %.1f s\n",
        human_bytes(static_cast<double>(read)).c_str(),
        human_bytes(static_cast<double>(file_bytes_)).c_str(),
        file_bytes_ ? 100.0 * static_cast<double>(read) / static_cast<double>(file_bytes_) : 100.0,
        static_cast<unsigned long long>(lines), s);
  }

 private:
  bool on_;
  std::uint64_t file_bytes_;
  std::FILE* err_;
  Clock::time_point t0_, last_;
};

// Submits a mapped file in chunks of about `chunk_bytes` cut at line ends, each pointing into the
// mapping (a line longer than that is a chunk of its own; past the line limit the parser rejects
// it by its length).
void feed_mapped(MappedFile& m, pipeline::Pipeline& p, const ReplayOptions& o, std::FILE* err) {
  const char* const data = m.data();
  const std::size_t size = m.size();
  const std::size_t chunk = std::max<std::size_t>(o.chunk_bytes, 1);
  // Pages this far behind the newest chunk are given back; chunks in flight are far younger.
  const std::size_t lag = 16 * chunk;
  Progress progress(o.progress, size, err);
  std::uint64_t line = 1;
  for (std::size_t pos = 0; pos < size;) {
    std::size_t end = std::min(size, pos + chunk);
    if (end < size) {
      if (const void* nl = memrchr(data + pos, '\n', end - pos)) {
        end = static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1;
      } else {
        const void* next = std::memchr(data + end, '\n', size - end);
        end = next ? static_cast<std::size_t>(static_cast<const char*>(next) - data) + 1 : size;
      }
    }
    pipeline::Chunk* c = p.acquire(0);
    c->borrow(data + pos, end - pos, m.readable_from(pos));
    c->first_line = line;
    line += count_lines(data + pos, end - pos);
    p.submit(c);
    pos = end;
    if (pos > lag) m.drop_below(pos - lag);
    progress.update(pos, line - 1);
  }
}

// Reads `f` in chunks of about `chunk_bytes` cut at line ends and submits them. Returns false on a
// read error.
bool feed(std::FILE* f, pipeline::Pipeline& p, const ReplayOptions& o, std::size_t max_line,
          std::uint64_t file_bytes, std::FILE* err) {
  std::string carry;
  std::uint64_t line = 1;
  std::uint64_t read_total = 0;
  Progress progress(o.progress, file_bytes, err);
  for (bool eof = false; !eof;) {
    pipeline::Chunk* c = p.acquire(o.chunk_bytes + carry.size());
    c->assign(carry);
    carry.clear();
    std::size_t size = c->size();
    for (;;) {
      const std::size_t want = c->capacity() - size;
      const std::size_t got = std::fread(c->data() + size, 1, want, f);
      size += got;
      read_total += got;
      if (got < want) {
        if (std::ferror(f)) {
          p.release_unused(c);
          return false;
        }
        eof = true;
        break;
      }
      if (memrchr(c->data(), '\n', size) || size > max_line) break;
      c->resize(size);  // a line longer than the buffer: grow and read on
      c->reserve(size * 2);
    }
    std::size_t cut = size;
    if (!eof) {
      if (const void* nl = memrchr(c->data(), '\n', size)) {
        cut = static_cast<std::size_t>(static_cast<const char*>(nl) - c->data()) + 1;
        carry.assign(c->data() + cut, size - cut);
      }
    }
    c->resize(cut);
    c->first_line = line;
    line += count_lines(c->data(), cut);
    if (cut == 0)
      p.release_unused(c);
    else
      p.submit(c);

    progress.update(read_total, line - 1);
  }
  return true;
}

}  // namespace

int run_replay(const ReplayOptions& o, std::FILE* out, std::FILE* err) {
  auto fail = [&](int code, const std::string& message) {
    std::fprintf(err, "squall replay: %s\n", message.c_str());
    return code;
  };
  const auto t_start = Clock::now();

  // Options and files.
  auto format = parse::parse_format(o.format);
  if (!format) return fail(2, "--format: " + format.error());
  io::EngineConfig config;
  if (!o.config.empty())
    if (auto ok = io::load_engine_config(o.config, config); !ok) return fail(1, ok.error().message);
  if (auto ok = correlate::validate(config.correlate); !ok)
    return fail(1, "config: correlate." + ok.error().message);
  std::int64_t now_ms = core::wall_clock_ms();
  if (!o.now.empty()) {
    if (o.now.find_first_not_of("0123456789") == std::string::npos) {
      now_ms = std::stoll(o.now);
    } else if (auto ms = core::parse_rfc3339_ms(o.now)) {
      now_ms = *ms;
    } else {
      return fail(2, "--now: expected epoch milliseconds or an RFC 3339 time, got '" + o.now + "'");
    }
  }

  core::Interner interner;
  std::shared_ptr<const core::Topology> topology;
  if (!o.topology.empty()) {
    auto t = io::load_topology(o.topology, interner, config.correlate.max_hops);
    if (!t) return fail(1, t.error().message);
    topology = std::make_shared<const core::Topology>(std::move(*t));
  }

  File input;
  input.f = std::fopen(o.input.c_str(), "rb");
  if (!input.f) return fail(1, o.input + ": " + std::strerror(errno));
  std::uint64_t file_bytes = 0;
  MappedFile mapped;  // outlives the pipeline: its chunks point into it
  if (struct stat st; ::fstat(fileno(input.f), &st) == 0) {
    file_bytes = static_cast<std::uint64_t>(st.st_size);
    if (o.map_input && S_ISREG(st.st_mode))
      mapped.map(fileno(input.f), static_cast<std::size_t>(st.st_size));
  }
  for (const std::string* path : {&o.assignments, &o.bundles}) {
    std::error_code ec;
    if (!path->empty() && std::filesystem::equivalent(*path, o.input, ec))
      return fail(2, *path + ": would overwrite the input file");
  }
  File assignments_file, bundles_file;
  if (!o.assignments.empty()) {
    assignments_file.f = std::fopen(o.assignments.c_str(), "wb");
    if (!assignments_file.f) return fail(1, o.assignments + ": " + std::strerror(errno));
  }
  if (!o.bundles.empty()) {
    bundles_file.f = std::fopen(o.bundles.c_str(), "wb");
    if (!bundles_file.f) return fail(1, o.bundles + ": " + std::strerror(errno));
  }

  pipeline::Options po;
  po.format = *format;
  po.limits = config.parse;
  po.correlator = config.correlate;
  po.topology = topology;
  po.partition_by = o.partition_by.empty() ? config.partition_by : o.partition_by;
  po.partitions = config.partitions;
  po.now_ms = now_ms;
  const std::uint32_t partitions =
      po.partition_by.empty() ? 1u : (po.partitions ? po.partitions : 16u);
  const ThreadSplit split = split_threads(o, partitions);
  po.parse_threads = split.parse;
  po.shard_threads = split.shard;
  if (auto ok = pipeline::validate(po); !ok) return fail(2, ok.error().message);

  // Run.
  std::vector<ReplaySink*> sinks;
  pipeline::Stats stats;
  std::uint32_t used_parse = 0, used_shards = 0;
  {
    const bool explain = !o.explain.empty();
    const bool keep_rows = assignments_file.f != nullptr;
    // One partition emits bundles in output order: they are written as they come, and only
    // several partitions' bundles are kept for a merge by watermark.
    const ReplaySink::Bundles bundles_mode = !bundles_file.f   ? ReplaySink::Bundles::kSummaryOnly
                                             : partitions == 1 ? ReplaySink::Bundles::kStream
                                                               : ReplaySink::Bundles::kKeep;
    pipeline::Pipeline p(po, interner, [&](std::uint32_t partition) {
      auto s = std::make_unique<ReplaySink>(partition, config.bundle, config.rca, interner, explain,
                                            keep_rows, bundles_mode, bundles_file.f);
      sinks.push_back(s.get());
      return s;
    });
    used_parse = p.parse_threads();
    used_shards = p.shard_threads();
    const std::size_t max_line = std::max(po.limits.max_line_bytes, po.limits.max_body_bytes) + 1;
    bool read_ok = true;
    if (mapped.data())
      feed_mapped(mapped, p, o, err);
    else
      read_ok = feed(input.f, p, o, max_line, file_bytes, err);
    p.finish();
    stats = p.stats();
    if (!read_ok) return fail(1, o.input + ": read error");
    // The sinks live in the pipeline's hooks; keep the pipeline until the outputs are written.
    const auto t_run = Clock::now();

    for (ReplaySink* s : sinks) s->resolve();

    // Assignments: one row per input alert, in input order (a merge of the partitions by seq).
    std::vector<std::vector<std::uint64_t>> sizes(sinks.size());
    for (std::size_t i = 0; i < sinks.size(); ++i) sizes[i].assign(sinks[i]->incidents() + 1, 0);
    std::uint64_t alerts = 0, unassigned = 0;
    if (!keep_rows && !explain) {
      // No alert list to write: the sinks counted per incident.
      for (std::size_t i = 0; i < sinks.size(); ++i) {
        const ReplaySink& s = *sinks[i];
        std::uint64_t assigned = 0;
        for (std::uint32_t n = 1; n < s.assigned().size(); ++n) {
          sizes[i][s.final_incident(n)] += s.assigned()[n];
          assigned += s.assigned()[n];
        }
        alerts += s.inputs();
        unassigned += s.inputs() - assigned;
      }
    } else {
      std::vector<std::size_t> next(sinks.size(), 0);
      Writer w(assignments_file.f ? assignments_file.f : stdout);
      const bool write = assignments_file.f != nullptr;
      if (write) w.put("alert_id\tincident\n");
      for (;;) {
        std::size_t best = sinks.size();
        std::uint64_t best_seq = UINT64_MAX;
        for (std::size_t i = 0; i < sinks.size(); ++i) {
          const auto& rows = sinks[i]->rows();
          if (next[i] < rows.size() && rows[next[i]].seq < best_seq) {
            best_seq = rows[next[i]].seq;
            best = i;
          }
        }
        if (best == sinks.size()) break;
        const ReplaySink& s = *sinks[best];
        const ReplaySink::Row& r = s.rows()[next[best]++];
        ++alerts;
        const std::uint32_t inc = r.incident ? s.final_incident(r.incident) : 0;
        if (inc)
          ++sizes[best][inc];
        else
          ++unassigned;
        if (write) {
          core::MemberTable::IdBuf buf;
          w.put(s.id(r, buf));
          w.put('\t');
          w.put(inc ? std::string_view(s.incident_id(inc)) : std::string_view("-"));
          w.put('\n');
        }
      }
      if (write && !w.close()) return fail(1, o.assignments + ": write error");
    }

    // Bundles: emission order within a partition; partitions merged by the watermark at emission.
    if (bundles_file.f) {
      for (const ReplaySink* s : sinks)
        if (!s->stream_ok()) return fail(1, o.bundles + ": write error");
      std::vector<std::size_t> next(sinks.size(), 0);
      Writer w(bundles_file.f);
      for (;;) {
        std::size_t best = sinks.size();
        std::int64_t best_wm = 0;
        for (std::size_t i = 0; i < sinks.size(); ++i) {
          const auto& b = sinks[i]->bundles();
          if (next[i] < b.size() && (best == sinks.size() || b[next[i]].watermark < best_wm)) {
            best_wm = b[next[i]].watermark;
            best = i;
          }
        }
        if (best == sinks.size()) break;
        const ReplaySink& s = *sinks[best];
        w.put(s.json(s.bundles()[next[best]++]));
        w.put('\n');
      }
      if (!w.close()) return fail(1, o.bundles + ": write error");
    }
    const auto t_end = Clock::now();

    // Summary.
    struct Top {
      std::uint64_t size;
      std::uint32_t sink;
      std::uint32_t number;
    };
    std::vector<Top> incidents;
    for (std::uint32_t i = 0; i < sinks.size(); ++i)
      for (std::uint32_t n = 1; n < sizes[i].size(); ++n)
        if (sizes[i][n]) incidents.push_back({sizes[i][n], i, n});
    std::sort(incidents.begin(), incidents.end(), [](const Top& a, const Top& b) {
      if (a.size != b.size) return a.size > b.size;
      return a.sink != b.sink ? a.sink < b.sink : a.number < b.number;
    });
    const double secs = std::chrono::duration<double>(t_end - t_start).count();
    const double run_secs = std::chrono::duration<double>(t_run - t_start).count();
    const std::uint64_t rejected = stats.parse.rejected_total();
    std::fprintf(out,
                 "replay: %llu alerts, %llu change events, %llu rejected in %.3f s (%s alerts/s; "
                 "%s/s; %u parse + %u shard threads, %u partitions)\n",
                 static_cast<unsigned long long>(alerts),
                 static_cast<unsigned long long>(stats.correlate.changes),
                 static_cast<unsigned long long>(rejected), secs,
                 human_rate(static_cast<double>(alerts) / std::max(run_secs, 1e-9)).c_str(),
                 human_bytes(static_cast<double>(stats.bytes) / std::max(run_secs, 1e-9)).c_str(),
                 used_parse, used_shards, partitions);
    std::fprintf(
        out,
        "  parse %.3f s busy (%s alerts/s per thread), correlate %.3f s busy (%s alerts/s per "
        "thread)\n",
        stats.parse_busy_s,
        human_rate(static_cast<double>(stats.parse.accepted) / std::max(stats.parse_busy_s, 1e-9))
            .c_str(),
        stats.correlate_busy_s,
        human_rate(static_cast<double>(alerts + stats.correlate.changes) /
                   std::max(stats.correlate_busy_s, 1e-9))
            .c_str());
    std::fprintf(
        out,
        "%llu alerts → %zu incidents (%llu opened, %llu merged, %llu deduplicated, %llu resolved "
        "after close, %llu late)\n",
        static_cast<unsigned long long>(alerts), incidents.size(),
        static_cast<unsigned long long>(stats.correlate.opened),
        static_cast<unsigned long long>(stats.correlate.merged),
        static_cast<unsigned long long>(stats.correlate.deduplicated),
        static_cast<unsigned long long>(stats.correlate.after_close),
        static_cast<unsigned long long>(stats.correlate.late));
    bundle::EmitterStats es;
    for (const ReplaySink* s : sinks) {
      const bundle::EmitterStats& x = s->emitter_stats();
      es.bundles += x.bundles;
      es.bytes += x.bytes;
      es.ranks += x.ranks;
      es.skipped_updates += x.skipped_updates;
    }
    std::fprintf(out, "  %llu bundles (%s), %llu root-cause rankings, %llu quiet updates skipped\n",
                 static_cast<unsigned long long>(es.bundles),
                 human_bytes(static_cast<double>(es.bytes)).c_str(),
                 static_cast<unsigned long long>(es.ranks),
                 static_cast<unsigned long long>(es.skipped_updates));
    if (unassigned)
      std::fprintf(err, "squall replay: %llu alerts were never assigned to an incident\n",
                   static_cast<unsigned long long>(unassigned));
    for (std::size_t k = 0; k < incidents.size() && k < o.top; ++k) {
      const Top& t = incidents[k];
      const ReplaySink& s = *sinks[t.sink];
      const ReplaySink::Summary& view = s.summary(t.number);
      std::fprintf(out, "  %-12s %6llu alerts  services: %s  top hypothesis: %s\n",
                   s.incident_id(t.number).c_str(), static_cast<unsigned long long>(t.size),
                   view.services.empty() ? "-" : view.services.c_str(),
                   view.hypothesis.empty() ? "-" : view.hypothesis.c_str());
    }
    if (rejected) {
      std::string line = "rejected:";
      for (std::size_t r = 0; r < stats.parse.rejected.size(); ++r)
        if (stats.parse.rejected[r])
          line += " " + std::string(parse::reject_reason(static_cast<parse::Reject>(r))) + " " +
                  std::to_string(stats.parse.rejected[r]);
      std::fprintf(err, "squall replay: %s\n", line.c_str());
      for (std::size_t i = 0; i < stats.reject_samples.size() && i < 5; ++i) {
        const auto& rs = stats.reject_samples[i];
        if (*format == parse::Format::kNative)
          std::fprintf(err, "  %s:%llu: %s\n", o.input.c_str(),
                       static_cast<unsigned long long>(rs.line),
                       std::string(parse::reject_reason(rs.reason)).c_str());
        else
          std::fprintf(err, "  %s:%llu: alert %u: %s\n", o.input.c_str(),
                       static_cast<unsigned long long>(rs.line), rs.index,
                       std::string(parse::reject_reason(rs.reason)).c_str());
      }
    }

    // --explain: every alert of one incident and why it joined.
    if (!o.explain.empty()) {
      const ReplaySink* target = nullptr;
      std::uint32_t number = 0;
      for (const ReplaySink* s : sinks)
        for (std::uint32_t n = 1; n <= s->incidents() && !target; ++n)
          if (s->incident_id(n) == o.explain) {
            target = s;
            number = n;
          }
      if (!target) return fail(1, "--explain: no incident '" + o.explain + "'");
      const std::uint32_t final = target->final_incident(number);
      if (final != number)
        std::fprintf(out, "\n%s was merged into %s\n", o.explain.c_str(),
                     target->incident_id(final).c_str());
      std::fprintf(
          out,
          "\n%s: why each alert joined (alert, alertname, service, node, reason, score, via)\n",
          target->incident_id(final).c_str());
      const auto& rows = target->rows();
      auto view = [&](core::Sym s) { return s ? std::string(interner.view(s)) : std::string("-"); };
      for (const auto& w : target->explained()) {
        if (target->final_incident(w.incident) != final) continue;
        auto it =
            std::lower_bound(rows.begin(), rows.end(), w.seq,
                             [](const ReplaySink::Row& r, std::uint64_t s) { return r.seq < s; });
        core::MemberTable::IdBuf buf;
        const std::string id = it != rows.end() ? std::string(target->id(*it, buf)) : "?";
        std::string reason(core::join_reason_name(w.reason));
        if (w.after_close)
          reason = "resolved re-send after the incident closed (it stays closed)";
        else if (w.count > 1)
          reason = "repeat #" + std::to_string(w.count) + " of a member that joined by " + reason;
        std::fprintf(
            out, "  %-14s %-28s %-18s %-16s %s %.2f via %s%s\n", id.c_str(),
            view(w.alertname).c_str(), view(w.service).c_str(), view(w.node).c_str(),
            reason.c_str(), static_cast<double>(w.score), view(w.via).c_str(),
            w.incident != final ? (" (in " + target->incident_id(w.incident) + ")").c_str() : "");
      }
    }
  }
  return 0;
}

}  // namespace squall::replay
