#pragma once
// `squall storm --send`: a load generator that plays native NDJSON alerts to a running
// `squall serve` over TCP (NDJSON lines), UDP (datagrams of whole lines, at most 1400 bytes) or
// HTTP (POST /api/v1/alerts, NDJSON bodies), paced by a rate and/or by the alerts' event time.
//
// Thread contract: send_alerts() runs on the calling thread and reads its AlertSource there only.
// It adds one thread per HTTP connection and, with progress on, one reporter thread; all of them
// are joined before it returns. A StormSource generates on a thread of its own.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/core/result.h"
#include "tools/storm/storm.h"

namespace squall::storm {

enum class Transport : std::uint8_t { kTcp, kUdp, kHttp };

struct Endpoint {
  Transport transport = Transport::kTcp;
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 0;
  std::string path;  // HTTP: the URL's path, /api/v1/alerts when the URL has none
};

// tcp://HOST:PORT | udp://HOST:PORT | http://HOST:PORT[/PATH], HOST a name, IPv4 or [IPv6].
// Error messages name the --send flag.
core::Result<Endpoint> parse_send_url(std::string_view url);

// Whole NDJSON lines, each ending in '\n'; blank lines are never handed out.
struct AlertChunk {
  std::string_view lines;  // empty: the end
  std::uint64_t count = 0;
};

// Where alerts come from. Used by one thread at a time.
class AlertSource {
 public:
  virtual ~AlertSource() = default;
  // The next chunk, valid until the next call; an empty chunk at the end.
  virtual core::Result<AlertChunk> next() = 0;
};

// An NDJSON file (an alerts.ndjson), read in 1 MiB blocks. Errors: unreadable file.
core::Result<std::unique_ptr<AlertSource>> open_file_source(const std::string& path);
// NDJSON held in memory, handed out as one chunk.
std::unique_ptr<AlertSource> memory_source(std::string ndjson);

// A storm generated on a thread of its own while it is sent (and written to options.out_dir when
// that is set), through a queue of a few 1 MiB chunks. Destroying it early stops the generator.
class StormSource final : public AlertSource {
 public:
  explicit StormSource(StormOptions options);  // options.alert_sink is replaced
  ~StormSource() override;
  StormSource(const StormSource&) = delete;
  StormSource& operator=(const StormSource&) = delete;

  core::Result<AlertChunk> next() override;
  // The generator's result; valid once next() has handed out the end (or an error).
  const core::Result<StormSummary>& summary() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

inline constexpr std::size_t kMaxDatagramBytes = 1400;

struct SendOptions {
  std::string url;            // see parse_send_url
  double rate = 0;            // alerts/s; 0: as fast as possible
  double speedup = 0;         // > 0: an alert with event time t goes at start + (t - t0) / speedup
  bool restamp = false;       // rewrite ts to now + (t - t0) / max(speedup, 1 if unset), epoch ms
  std::uint32_t batch = 100;  // HTTP: alerts per POST
  std::uint32_t connections = 1;   // HTTP: parallel keep-alive connections, a thread each
  std::uint32_t max_retries = 20;  // HTTP: resends of one batch (429, 5xx, connection errors)
  bool progress = false;           // a line on stderr about once per second
  // TCP: after shutdown(SHUT_WR), how long to wait for the peer to close.
  std::chrono::milliseconds close_timeout{2000};
};

struct SendReport {
  std::uint64_t sent = 0;          // alerts handed to the transport, each counted once
  std::uint64_t acknowledged = 0;  // see below
  std::uint64_t failed = 0;        // sent and not acknowledged: sent == acknowledged + failed
  std::uint64_t bytes = 0;         // NDJSON bytes written, resends included
  std::uint64_t messages = 0;      // TCP connections, UDP datagrams, HTTP requests (resends too)
  std::uint64_t retries = 0;       // HTTP resends, TCP reconnects
  double seconds = 0;
  std::string last_failure;  // the last rejection or transport error, for humans
  std::string error;         // set when sending stopped early (source failed, peer lost)
};
// "acknowledged" per transport:
//  - TCP: the alert's bytes were fully written on a connection that then shut down cleanly:
//    after shutdown(SHUT_WR) the peer closed its side without a reset, or, when it had not within
//    close_timeout, the kernel's send queue had drained (every byte acked by the peer's TCP).
//    Alerts written on a connection that broke count as failed (they are not resent).
//  - UDP: the datagram holding it was sent without a local error. UDP has no acknowledgement;
//    a line longer than kMaxDatagramBytes is not sent and counts as failed.
//  - HTTP: the POST holding it was answered 2xx. 429 and 5xx (waiting Retry-After, capped at 5 s,
//    else backing off 50 ms .. 2 s) and connection errors (reconnecting) resend the same batch up
//    to max_retries times; any other status counts the batch as failed.

// Sends every alert of `source` to options.url. Errors (nothing sent): a bad URL or option, a host
// that does not resolve, a first connection refused. Failures after that are in the report.
core::Result<SendReport> send_alerts(const SendOptions& options, AlertSource& source);

// "sent 203, acknowledged 203, failed 0 in 0.01 s (20300 alerts/s)"
std::string report_line(const SendReport& r);
// 0 when nothing failed and sending ran to the end, else 1.
int exit_code(const SendReport& r);

}  // namespace squall::storm
