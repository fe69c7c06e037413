#pragma once
// Minimal blocking HTTP/1.1 over POSIX sockets on 127.0.0.1, for integration tests: a client for
// one request per connection, and a server that records the requests real servers send it
// (webhooks, remote write). Not a general HTTP implementation: no TLS, no keep-alive, no
// pipelining; bodies by Content-Length or chunked transfer coding.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "engine/core/result.h"

namespace squall::integration {

struct HttpHeader {
  std::string name;  // as received
  std::string value;
};

struct HttpRequest {
  std::string method;
  std::string target;  // "/hook?x=1"
  std::vector<HttpHeader> headers;
  std::string body;
  // The first header named `name` (case-insensitive), or "" when absent.
  [[nodiscard]] std::string_view header(std::string_view name) const;
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;
  std::string body;
  [[nodiscard]] std::string_view header(std::string_view name) const;
};

// One request to 127.0.0.1:`port` on a fresh connection ("Connection: close"). The whole exchange
// must finish within `timeout`. A non-2xx status is a response, not an error.
[[nodiscard]] core::Result<HttpResponse> http_request(
    std::uint16_t port, std::string_view method, std::string_view target,
    std::string_view body = {}, std::string_view content_type = "application/json",
    std::chrono::milliseconds timeout = std::chrono::seconds(5));

[[nodiscard]] inline core::Result<HttpResponse> http_get(
    std::uint16_t port, std::string_view target,
    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  return http_request(port, "GET", target, {}, {}, timeout);
}

[[nodiscard]] inline core::Result<HttpResponse> http_post(
    std::uint16_t port, std::string_view target, std::string_view body,
    std::string_view content_type = "application/json",
    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  return http_request(port, "POST", target, body, content_type, timeout);
}

// An HTTP/1.1 server on 127.0.0.1 at an ephemeral port. One thread accepts one connection at a
// time, reads one request, answers it with the handler's response (200 and no body by default) and
// "Connection: close", and records the request. Malformed requests get a 400 and are not recorded.
//
// Thread contract: the server thread is its own; every public method may be called from any thread.
class RecordingHttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  [[nodiscard]] static core::Result<std::unique_ptr<RecordingHttpServer>> start(
      Handler handler = {});
  RecordingHttpServer(const RecordingHttpServer&) = delete;
  RecordingHttpServer& operator=(const RecordingHttpServer&) = delete;
  ~RecordingHttpServer();  // stop()

  [[nodiscard]] std::uint16_t port() const { return port_; }

  // A copy of the requests recorded so far, in arrival order.
  [[nodiscard]] std::vector<HttpRequest> requests() const;

  // Waits until `done(requests so far)` returns true (checked now and after each new request), or
  // until `timeout` passes. Returns the last answer of `done`. `done` runs under the server's lock.
  bool wait_until(const std::function<bool(const std::vector<HttpRequest>&)>& done,
                  std::chrono::milliseconds timeout);

  // Stops accepting and joins the thread (a request being served finishes first). Idempotent.
  void stop();

 private:
  RecordingHttpServer(int listen_fd, int wake_read, int wake_write, std::uint16_t port,
                      Handler handler);
  void run();
  void serve(int conn_fd);

  int listen_fd_;
  int wake_read_;  // a byte on this pipe wakes run() to stop
  int wake_write_;
  std::uint16_t port_;
  Handler handler_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HttpRequest> requests_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace squall::integration
