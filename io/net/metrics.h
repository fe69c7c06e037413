#pragma once
// Live counters of `squall serve`, rendered in the Prometheus text format (GET /metrics). Every
// counter is a relaxed atomic bumped once per chunk, datagram batch or request (never per alert on
// the I/O path), so reading them from the HTTP thread needs no lock.
//
// Thread contract: any thread may bump or render at any time.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/parse/parser.h"

namespace squall::net {

enum class Listener : std::uint8_t { kTcp, kUdp, kHttp, kCount };
std::string_view listener_name(Listener l);

// Alerts lost after they reached squall, by cause. Nothing accepted is ever dropped: these are
// the places where input is refused before it is accepted (UDP cannot push back).
enum class Drop : std::uint8_t {
  kQueueFull,  // UDP: the pipeline was full
  kKernel,     // UDP: the kernel's receive buffer overflowed (SO_RXQ_OVFL), datagrams
  kTruncated,  // UDP: a datagram over the receive buffer
  kCount
};
std::string_view drop_name(Drop d);

using Counter = std::atomic<std::uint64_t>;

// A fixed-bucket histogram of seconds.
class Histogram {
 public:
  static constexpr std::array<double, 14> kBounds = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                     0.5,   1,     2.5,  5,     10,   30,  60};
  void observe(double seconds);
  void render(std::string& out, std::string_view name, std::string_view help) const;

 private:
  std::array<Counter, kBounds.size() + 1> buckets_{};  // the last one is +Inf
  std::atomic<std::uint64_t> sum_us_{0};
  Counter count_{0};
};

struct ListenerMetrics {
  Counter accepted{0};  // alerts and change events accepted by the parser
  std::array<Counter, static_cast<std::size_t>(parse::Reject::kCount)> rejected{};
  std::array<Counter, static_cast<std::size_t>(Drop::kCount)> dropped{};
  Counter bytes{0};
  Counter units{0};  // connections (TCP, HTTP) or datagrams (UDP)
};

struct Metrics {
  std::array<ListenerMetrics, static_cast<std::size_t>(Listener::kCount)> listeners;
  ListenerMetrics& of(Listener l) { return listeners[static_cast<std::size_t>(l)]; }

  // HTTP responses by status class worth telling apart.
  Counter http_2xx{0}, http_400{0}, http_404{0}, http_413{0}, http_429{0}, http_5xx{0};
  Counter tcp_backpressure_waits{0};  // times a connection stopped reading for a full pipeline
  Counter tcp_lines_too_long{0};      // lines discarded for being over the line limit
  Counter udp_kernel_drops{0};        // cumulative SO_RXQ_OVFL count over receivers

  // Engine side (bumped by the serve sinks on shard threads).
  std::atomic<std::int64_t> incidents_open{0};
  Counter incidents_opened{0}, incidents_closed{0}, incidents_merged{0};
  // Resolved re-sends of a closed incident's alerts (counted with it; it stays closed).
  Counter alerts_after_close{0};
  Counter bundles{0}, bundle_bytes{0}, store_dropped{0};
  Histogram bundle_latency;  // wall time from an alert's arrival to the first bundle holding it

  Counter topology_reloads{0}, topology_reload_errors{0};
};

// Appends the metrics in the Prometheus text exposition format (0.0.4).
void render(const Metrics& m, std::string& out);

// Helpers for extra families rendered by the embedding tool.
void render_counter(std::string& out, std::string_view name, std::string_view help,
                    std::uint64_t value);
void render_gauge(std::string& out, std::string_view name, std::string_view help, double value);

}  // namespace squall::net
