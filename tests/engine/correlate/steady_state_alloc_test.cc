// No per-alert heap allocation in steady state: after a warm-up, parsing and correlating repeats
// of active alerts (the bulk of any firehose) must not call operator new at all.
//
// This binary replaces the global operator new/delete with counting versions, so it is its own
// test executable.
// The replacements below pair malloc with free on purpose.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/correlate/correlator.h"
#include "engine/parse/parser.h"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
bool g_trap = false;
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (std::getenv("SQUALL_ALLOC_TRAP") && g_trap) __builtin_trap();
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace squall::correlate {
namespace {

struct NullListener : Listener {
  std::uint64_t assigned = 0;
  void on_assigned(std::uint64_t, const core::Incident&) override { ++assigned; }
  void on_assigned_closed(std::uint64_t, std::string_view, std::uint64_t) override { ++assigned; }
  void on_merged(const core::Incident&, const core::Incident&) override {}
  void on_incident(const core::Incident&, IncidentEvent, std::int64_t) override {}
  void on_tick(std::int64_t) override {}
};

TEST(SteadyState, RepeatsOfActiveAlertsAllocateNothing) {
  core::Interner interner;
  parse::Parser parser(interner);
  NullListener listener;
  Config config;
  config.allowed_lateness_ms = 5000;  // exercise the reorder buffer too
  auto topo = std::make_shared<core::Topology>(core::Topology::build(
      {{"frontend", {"checkout"}}, {"checkout", {"db"}}, {"db", {}}}, interner, config.max_hops));
  Correlator correlator(config, topo, interner, listener);

  // 200 distinct active alerts across services, pods and nodes.
  auto chunk_at = [](std::int64_t ts) {
    std::string buf;
    static const char* kServices[] = {"frontend", "checkout", "db", "search"};
    for (int i = 0; i < 200; ++i) {
      buf += R"({"ts":)" + std::to_string(ts + i) +
             R"(,"labels":{"alertname":"HighErrorRate","service":")" + kServices[i % 4] +
             R"(","pod":"p-)" + std::to_string(i) + R"(","node":"n-)" + std::to_string(i % 7) +
             R"(","cluster":"prod"},"annotations":{"summary":"errors up"},"value":)" +
             std::to_string(i) + "}\n";
    }
    return buf;
  };
  core::AlertBatch batch;
  std::uint64_t seq = 0;
  std::int64_t ts = 1764000000000LL;
  auto feed = [&](const std::string& buf) {
    batch.clear();
    const auto r = parser.parse_ndjson(buf, batch, ts);
    ASSERT_EQ(r.accepted, 200u);
    for (const core::Alert& a : batch.alerts) correlator.add(batch, a, seq++);
  };
  // Warm-up: every fingerprint admitted, buffers and tables grown.
  std::vector<std::string> chunks;
  for (int round = 0; round < 40; ++round) chunks.push_back(chunk_at(ts + round * 30'000));
  for (int round = 0; round < 20; ++round) feed(chunks[static_cast<std::size_t>(round)]);
  const auto assigned_before = listener.assigned;
  const auto allocations_before = g_allocations.load();
  g_trap = true;
  for (int round = 20; round < 40; ++round) feed(chunks[static_cast<std::size_t>(round)]);
  const auto allocations = g_allocations.load() - allocations_before;
  EXPECT_GE(listener.assigned, assigned_before + 3800);  // the repeats really went through
  EXPECT_EQ(allocations, 0u) << "heap allocations while processing 4,000 repeats";
  correlator.finish();
}

}  // namespace
}  // namespace squall::correlate
