#pragma once
// A scripted HTTP/1.1 server on 127.0.0.1 (port 0) for the LLM drafters' tests: one request per
// connection, answered with the next scripted response (the last one repeats), after an optional
// delay. Records what it received. Not a general HTTP server.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace squall::drafters::test {

struct ScriptedResponse {
  int status = 200;
  std::string body;
  std::vector<std::string> headers;  // "Name: value"
  int delay_ms = 0;                  // before answering
};

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The first header named `name` (case-insensitive), or "".
  [[nodiscard]] std::string header(std::string_view name) const;
};

class TestHttpServer {
 public:
  explicit TestHttpServer(std::vector<ScriptedResponse> script);
  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] std::string base_url() const;
  [[nodiscard]] std::vector<ReceivedRequest> requests() const;

 private:
  void run();
  void serve(int fd);

  std::vector<ScriptedResponse> script_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<ReceivedRequest> requests_;
  std::size_t next_ = 0;
  std::thread thread_;
};

}  // namespace squall::drafters::test
