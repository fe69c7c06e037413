#pragma once
// The network front of `squall serve`: TCP NDJSON, UDP datagrams and HTTP (Alertmanager v2 API,
// webhook v4, native NDJSON, plus the read API the embedding tool answers), feeding live pipeline
// producers. Boost.Asio and Beast live in server.cc only.
//
// Backpressure, per listener (docs/DESIGN.md "Life of an alert"):
//   TCP   a connection whose complete lines find no free chunk stops reading and retries on a
//         short timer; the kernel's buffers fill and the sender blocks. Nothing is dropped.
//   HTTP  no free chunk: 429 with Retry-After; the client resends. Nothing accepted is dropped.
//   UDP   no free chunk: the datagrams are dropped and counted (queue_full); kernel overflows are
//         read from SO_RXQ_OVFL and counted (kernel).
//
// Threads: `io_threads` Asio threads, one io_context each (TCP and HTTP connections are spread
// over them), and `udp_receivers` blocking recvmmsg threads on SO_REUSEPORT sockets. Each thread
// owns one pipeline Producer (it parses on that thread).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/result.h"
#include "engine/pipeline/pipeline.h"
#include "io/net/metrics.h"

namespace squall::net {

struct ServerOptions {
  std::string http = ":9093";  // "HOST:PORT", ":PORT" (all interfaces) or "" (off)
  std::string tcp = ":9400";
  std::string udp = ":9401";
  unsigned io_threads = 1;
  unsigned udp_receivers = 1;
  std::size_t max_body_bytes = 16 * 1024 * 1024;  // HTTP: 413 above
  std::size_t max_line_bytes = 64 * 1024;         // TCP: a longer line is discarded, counted
  std::size_t read_bytes = 256 * 1024;            // TCP read buffer per connection
  int retry_after_s = 1;                          // HTTP 429
  int udp_rcvbuf_bytes = 16 * 1024 * 1024;
  int idle_timeout_s = 120;  // HTTP keep-alive connections idle longer are closed
};

// "HOST:PORT" → host and port; ":PORT" means 0.0.0.0. The message names `what` (a config key).
core::Result<std::pair<std::string, std::uint16_t>> parse_address(std::string_view addr,
                                                                  std::string_view what);

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// GET requests and anything not an ingest path go here (the read API, /metrics, /healthz).
using HttpHandler = std::function<HttpReply(std::string_view method, std::string_view target)>;

class Server {
 public:
  // Binds every listener (so a port in use fails here, naming the key) and starts the threads.
  // `producers` must hold io_threads + udp_receivers producers of `pipeline`.
  static core::Result<std::unique_ptr<Server>> start(const ServerOptions& options,
                                                     std::vector<pipeline::Producer*> producers,
                                                     Metrics& metrics, HttpHandler handler);
  ~Server();  // stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound addresses ("127.0.0.1:40123"), "" for a listener that is off.
  [[nodiscard]] const std::string& http_address() const;
  [[nodiscard]] const std::string& tcp_address() const;
  [[nodiscard]] const std::string& udp_address() const;

  // Stops accepting and reading, finishes the requests in hand (their alerts are submitted or
  // refused, never half-taken), closes every connection and joins the threads. After it returns
  // no producer is used again. Idempotent.
  void stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace squall::net
