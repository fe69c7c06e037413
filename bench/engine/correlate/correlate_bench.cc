// Correlator cost per alert as the number of active alerts grows, and the bytes it holds per active
// alert. Alerts are parsed once up front; the timed loop is correlation only.
//
//   BM_Repeat/N   N active fingerprints, then the timed loop re-sends them (the steady state of a
//                 firehose: dedup of active alerts). Should be flat in N.
//   BM_RepeatShuffled/N   the same, the re-sends in a random order.
//   BM_Admit/N    the timed loop admits N new fingerprints into an engine already holding N.
//   BM_Burst/N    N services of one cluster start failing within 10 s (a cluster-wide outage:
//                 pod and service bursts): per-alert cost must not grow with N.
//
// Counter `bytes_per_active` = correlator state (members, pools, tables, incidents) / N. Label
// sets: 500 services x 3 clusters, 2,000 nodes, one pod per alert, 40 alertnames, so incidents stay
// realistically sized instead of one million-member blob.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "engine/correlate/correlator.h"
#include "engine/parse/parser.h"

namespace {

using namespace squall;

struct NullListener : correlate::Listener {
  void on_assigned(std::uint64_t, const core::Incident&) override {}
  void on_assigned_closed(std::uint64_t, std::string_view, std::uint64_t) override {}
  void on_merged(const core::Incident&, const core::Incident&) override {}
  void on_incident(const core::Incident&, correlate::IncidentEvent, std::int64_t) override {}
  void on_tick(std::int64_t) override {}
};

constexpr std::int64_t kT0 = 1764000000000LL;

// Parses N distinct alerts (ids/timestamps given later) into one batch.
void make_alerts(core::Interner& in, std::size_t n, std::size_t offset, core::AlertBatch& out) {
  parse::Parser parser(in);
  std::string buf;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = k + offset;
    buf += R"({"ts":)" + std::to_string(kT0) + R"(,"labels":{"alertname":"Alert)" +
           std::to_string(i % 40) + R"(","service":"svc-)" + std::to_string(i % 500) +
           R"(","cluster":"c)" + std::to_string(i % 3) + R"(","node":"ip-10-0-)" +
           std::to_string(i % 2000) + R"(","pod":"svc-)" + std::to_string(i % 500) + "-" +
           std::to_string(i) + R"(","namespace":"ns)" + std::to_string(i % 20) +
           R"(","severity":"warning"},"annotations":{"summary":"something is wrong"}})" + "\n";
    if (buf.size() > (1 << 20)) {
      parser.parse_ndjson(buf, out, kT0);
      buf.clear();
    }
  }
  parser.parse_ndjson(buf, out, kT0);
}

// Feeds the batch as the pipeline does, prefetching ahead (Correlator::prefetch).
void feed(correlate::Correlator& c, core::AlertBatch& batch, std::int64_t ts, std::uint64_t& seq) {
  constexpr std::size_t kAhead = correlate::Correlator::kPrefetchAhead;
  const std::size_t n = batch.alerts.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (i + 2 * kAhead < n) c.prefetch(batch.alerts[i + 2 * kAhead]);
    if (i + kAhead < n) c.prefetch_member(batch.alerts[i + kAhead]);
    core::Alert& a = batch.alerts[i];
    a.ts_ms = ts;
    c.add(batch, a, seq++);
  }
}

// `shuffled`: the repeats arrive in a random order (a real firehose), not in admission order, so
// member records are not read in the order they were allocated.
void repeat(benchmark::State& state, bool shuffled) {
  const auto n = static_cast<std::size_t>(state.range(0));
  core::Interner in;
  core::AlertBatch batch;
  make_alerts(in, n, 0, batch);
  NullListener listener;
  correlate::Config config;
  config.allowed_lateness_ms = 0;
  correlate::Correlator c(config, nullptr, in, listener);
  std::uint64_t seq = 0;
  std::int64_t ts = kT0;
  feed(c, batch, ts, seq);  // admit all: N active
  if (shuffled) {
    std::mt19937_64 rng(7);
    std::shuffle(batch.alerts.begin(), batch.alerts.end(), rng);
  }
  for (auto _ : state) {
    ts += 1000;
    feed(c, batch, ts, seq);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.counters["active"] = static_cast<double>(c.active_members());
  state.counters["incidents"] = static_cast<double>(c.open_incidents());
  state.counters["bytes_per_active"] =
      static_cast<double>(c.bytes_reserved()) / static_cast<double>(n);
}
void BM_Repeat(benchmark::State& state) { repeat(state, false); }
void BM_RepeatShuffled(benchmark::State& state) { repeat(state, true); }

void BM_Admit(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  core::Interner in;
  core::AlertBatch base, fresh;
  make_alerts(in, n, 0, base);
  make_alerts(in, n, n, fresh);
  NullListener listener;
  correlate::Config config;
  config.allowed_lateness_ms = 0;
  std::uint64_t seq = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto c = std::make_unique<correlate::Correlator>(config, nullptr, in, listener);
    feed(*c, base, kT0, seq);
    state.ResumeTiming();
    feed(*c, fresh, kT0 + 1000, seq);
    state.PauseTiming();
    c.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void BM_Burst(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  core::Interner in;
  core::AlertBatch batch;
  parse::Parser parser(in);
  std::string buf;
  for (std::size_t i = 0; i < n; ++i)
    buf += R"({"ts":)" + std::to_string(kT0 + static_cast<std::int64_t>(i * 10000 / n)) +
           R"(,"labels":{"alertname":"High5xxRate","cluster":"prod","service":"svc-)" +
           std::to_string(i) + R"(","pod":"svc-)" + std::to_string(i) + R"(-7d9f-x1"}})" + "\n";
  parser.parse_ndjson(buf, batch, kT0);
  NullListener listener;
  correlate::Config config;
  config.allowed_lateness_ms = 0;
  std::uint64_t seq = 0;
  for (auto _ : state) {
    correlate::Correlator c(config, nullptr, in, listener);
    for (const core::Alert& a : batch.alerts) c.add(batch, a, seq++);
    state.counters["incidents"] = static_cast<double>(c.open_incidents());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

BENCHMARK(BM_Repeat)->RangeMultiplier(10)->Range(1000, 1000000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RepeatShuffled)
    ->RangeMultiplier(10)
    ->Range(1000, 1000000)
    ->Unit(benchmark::kMillisecond);
// 10 M active alerts needs ~6 GB (the parsed input plus the engine) and a minute: opt-in with
// SQUALL_BENCH_10M=1 (registered in main).
BENCHMARK(BM_Admit)
    ->RangeMultiplier(10)
    ->Range(1000, 100000)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK(BM_Burst)->RangeMultiplier(10)->Range(100, 10000)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  if (const char* e = std::getenv("SQUALL_BENCH_10M"); e != nullptr && std::string(e) == "1")
    for (auto [name, fn] :
         {std::pair<const char*, void (*)(benchmark::State&)>{"BM_Repeat", BM_Repeat},
          std::pair<const char*, void (*)(benchmark::State&)>{"BM_RepeatShuffled",
                                                              BM_RepeatShuffled}})
      benchmark::RegisterBenchmark(name, fn)
          ->Arg(10'000'000)
          ->Unit(benchmark::kMillisecond)
          ->Iterations(2);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
