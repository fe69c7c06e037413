// The listeners against a real pipeline, in process: what each transport accepts, rejects and
// counts, and what it does when the pipeline is full (TCP stops reading, HTTP answers 429, UDP
// drops and counts). Fullness is made deterministic by holding every pipeline chunk.
#include "io/net/server.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/pipeline/pipeline.h"
#include "io/net/stream_address.h"
#include "tests/integration/http_util.h"

namespace squall::net {
namespace {

using namespace std::chrono_literals;

// Counts what reaches the correlators.
class Counter final : public pipeline::PartitionHooks, public correlate::Listener {
 public:
  explicit Counter(std::atomic<std::uint64_t>& n) : n_(n) {}
  correlate::Listener& listener() override { return *this; }
  void on_input(const core::AlertBatch&, const core::Alert&, std::uint64_t) override {
    n_.fetch_add(1);
  }
  void on_assigned(std::uint64_t, const core::Incident&) override {}
  void on_assigned_closed(std::uint64_t, std::string_view, std::uint64_t) override {}
  void on_merged(const core::Incident&, const core::Incident&) override {}
  void on_incident(const core::Incident&, correlate::IncidentEvent, std::int64_t) override {}
  void on_tick(std::int64_t) override {}

 private:
  std::atomic<std::uint64_t>& n_;
};

std::uint16_t port_of(const std::string& addr) {
  return static_cast<std::uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)));
}

std::string native(int i) {
  return "{\"labels\":{\"alertname\":\"A" + std::to_string(i) +
         "\",\"service\":\"s\"},\"ts\":1700000000000}\n";
}

int connect_tcp(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

template <class F>
bool eventually(F&& f, std::chrono::milliseconds limit = 5s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return f();
}

class ServerTest : public ::testing::Test {
 protected:
  void start(std::size_t chunks = 8, std::size_t max_body = 1 << 20, std::size_t max_line = 1024) {
    pipeline::Options po;
    po.parse_threads = 0;
    po.shard_threads = 1;
    po.chunks_in_flight = chunks;
    po.limits.max_line_bytes = max_line;
    pipe_ = std::make_unique<pipeline::Pipeline>(
        po, interner_, [&](std::uint32_t) { return std::make_unique<Counter>(correlated_); });
    std::vector<pipeline::Producer*> producers{&pipe_->add_producer(), &pipe_->add_producer()};
    hog_ = &pipe_->add_producer();
    ServerOptions so;
    so.http = "127.0.0.1:0";
    so.tcp = "127.0.0.1:0";
    so.udp = "127.0.0.1:0";
    so.max_body_bytes = max_body;
    so.max_line_bytes = max_line;
    so.read_bytes = 4096;
    auto s = Server::start(so, producers, metrics_, [](std::string_view m, std::string_view t) {
      return HttpReply{200, "text/plain", std::string(m) + " " + std::string(t)};
    });
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(*s);
  }
  void TearDown() override {
    release_all();
    if (server_) server_->stop();
    if (pipe_) pipe_->finish();
  }
  // Takes every chunk, waiting for those still in flight to come back: the pipeline is full.
  void hold_all() {
    const std::size_t all = pipe_->live().chunks_capacity;
    while (held_.size() < all) {
      if (pipeline::Chunk* c = hog_->try_acquire(0))
        held_.push_back(c);
      else
        std::this_thread::sleep_for(1ms);
    }
  }
  void release_all() {
    for (pipeline::Chunk* c : held_) hog_->release_unused(c);
    held_.clear();
  }
  std::uint64_t accepted(Listener l) { return metrics_.of(l).accepted.load(); }
  std::uint64_t rejected(Listener l, parse::Reject r) {
    return metrics_.of(l).rejected[static_cast<std::size_t>(r)].load();
  }

  core::Interner interner_;
  Metrics metrics_;
  std::atomic<std::uint64_t> correlated_{0};
  std::unique_ptr<pipeline::Pipeline> pipe_;
  pipeline::Producer* hog_ = nullptr;
  std::vector<pipeline::Chunk*> held_;
  std::unique_ptr<Server> server_;
};

TEST(ParseAddress, AcceptsHostPortAndPortAloneAndNamesTheKey) {
  auto a = parse_address("127.0.0.1:9093", "server.http");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 9093);
  auto b = parse_address(":9400", "server.tcp");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->first, "0.0.0.0");
  for (const char* bad : {"9093", "host:1", "127.0.0.1:70000", "127.0.0.1:x", "127.0.0.1:"}) {
    auto r = parse_address(bad, "server.udp");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("server.udp"), std::string::npos) << r.error().message;
  }
}

TEST(StreamAddress, ParsesUnixAndTcpListensAndConnects) {
  auto u = parse_stream_address("unix:/tmp/x.sock", "drafting.listen");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->is_unix);
  EXPECT_EQ(u->path, "/tmp/x.sock");
  for (const char* bad : {"http://x", "tcp://host:1", "tcp://127.0.0.1", "tcp://127.0.0.1:99999",
                          "unix:", "tcp://127.0.0.1:x"}) {
    auto r = parse_stream_address(bad, "--connect");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find("--connect"), std::string::npos) << r.error().message;
  }
  auto t = parse_stream_address("tcp://127.0.0.1:0", "x");
  ASSERT_TRUE(t);
  std::string bound;
  auto fd = listen_stream(*t, bound);
  ASSERT_TRUE(fd) << fd.error().message;
  EXPECT_TRUE(bound.starts_with("tcp://127.0.0.1:")) << bound;
  EXPECT_NE(bound, "tcp://127.0.0.1:0");
  auto again = parse_stream_address(bound, "x");
  ASSERT_TRUE(again);
  auto c = connect_stream(*again);
  ASSERT_TRUE(c) << c.error().message;
  ::close(*c);
  ::close(*fd);
}

TEST_F(ServerTest, TcpTakesLinesSplitAcrossWritesAndSkipsAnOverlongLineAlone) {
  start();
  const int fd = connect_tcp(port_of(server_->tcp_address()));
  ASSERT_GE(fd, 0);
  std::string all;
  for (int i = 0; i < 50; ++i) all += native(i);
  // Over the 1024-byte limit and the 4096-byte read buffer: always skipped by the listener.
  all += "{\"labels\":{\"alertname\":\"" + std::string(10000, 'x') + "\"}}\n";
  for (int i = 50; i < 100; ++i) all += native(i);
  all += native(100).substr(0, native(100).size() - 1);  // the last line has no newline
  // Odd-sized writes split lines anywhere.
  for (std::size_t at = 0; at < all.size(); at += 97) {
    ASSERT_TRUE(send_all(fd, std::string_view(all).substr(at, 97)));
    if (at % 970 == 0) std::this_thread::sleep_for(1ms);
  }
  ::shutdown(fd, SHUT_WR);
  ASSERT_TRUE(eventually([&] { return accepted(Listener::kTcp) == 101; }))
      << accepted(Listener::kTcp);
  EXPECT_EQ(rejected(Listener::kTcp, parse::Reject::kTooLarge), 1u);
  EXPECT_EQ(metrics_.tcp_lines_too_long.load(), 1u);
  EXPECT_TRUE(eventually([&] { return correlated_.load() == 101; }));
  ::close(fd);
}

TEST_F(ServerTest, TcpStopsReadingWhileThePipelineIsFullAndLosesNothing) {
  start(4);
  hold_all();
  const int fd = connect_tcp(port_of(server_->tcp_address()));
  ASSERT_GE(fd, 0);
  std::string all;
  for (int i = 0; i < 2000; ++i) all += native(i);
  std::thread sender([&] { send_all(fd, all); });
  ASSERT_TRUE(eventually([&] { return metrics_.tcp_backpressure_waits.load() > 0; }));
  EXPECT_EQ(accepted(Listener::kTcp), 0u);  // nothing taken while full
  release_all();
  sender.join();
  ::shutdown(fd, SHUT_WR);
  ASSERT_TRUE(eventually([&] { return accepted(Listener::kTcp) == 2000; }))
      << accepted(Listener::kTcp);
  EXPECT_TRUE(eventually([&] { return correlated_.load() == 2000; }));
  ::close(fd);
}

TEST_F(ServerTest, HttpAcceptsEachFormatAndAnswersWithReasons) {
  start(8, 4096);
  const std::uint16_t port = port_of(server_->http_address());
  auto v2 = integration::http_post(
      port, "/api/v2/alerts",
      R"([{"labels":{"alertname":"X","service":"a"},"startsAt":"2026-01-01T00:00:00Z"},)"
      R"({"labels":{"service":"no-name"}}])");
  ASSERT_TRUE(v2) << v2.error().message;
  EXPECT_EQ(v2->status, 200) << v2->body;
  EXPECT_NE(v2->body.find("\"accepted\":1"), std::string::npos) << v2->body;
  EXPECT_NE(v2->body.find("\"rejected\":1"), std::string::npos) << v2->body;

  auto hook = integration::http_post(
      port, "/api/v1/webhook",
      R"({"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"Y"},"startsAt":"2026-01-01T00:00:00Z"}]})");
  ASSERT_TRUE(hook);
  EXPECT_EQ(hook->status, 200) << hook->body;

  auto nd =
      integration::http_post(port, "/api/v1/alerts", native(1) + native(2), "application/x-ndjson");
  ASSERT_TRUE(nd);
  EXPECT_EQ(nd->status, 200) << nd->body;
  EXPECT_EQ(accepted(Listener::kHttp), 4u);

  auto bad = integration::http_post(port, "/api/v2/alerts", "[{\"labels\":{}}]");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("no_alertname"), std::string::npos) << bad->body;

  auto syntax = integration::http_post(port, "/api/v2/alerts", "[{\"labels\":");
  ASSERT_TRUE(syntax);
  EXPECT_EQ(syntax->status, 400);
  EXPECT_NE(syntax->body.find("bad_json"), std::string::npos) << syntax->body;

  auto big = integration::http_post(port, "/api/v1/alerts", std::string(8192, ' '));
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);

  auto get = integration::http_get(port, "/api/v1/incidents?state=open");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "GET /api/v1/incidents?state=open");  // handed to the handler whole

  auto wrong = integration::http_get(port, "/api/v2/alerts");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(metrics_.http_400.load(), 2u);
  EXPECT_EQ(metrics_.http_413.load(), 1u);
  EXPECT_TRUE(eventually([&] { return correlated_.load() == 4; }));
}

TEST_F(ServerTest, HttpAnswers429WithRetryAfterWhileFullThenAccepts) {
  start(4);
  hold_all();
  const std::uint16_t port = port_of(server_->http_address());
  auto full = integration::http_post(port, "/api/v1/alerts", native(1));
  ASSERT_TRUE(full);
  EXPECT_EQ(full->status, 429);
  EXPECT_EQ(full->header("Retry-After"), "1");
  EXPECT_EQ(accepted(Listener::kHttp), 0u);
  release_all();
  auto ok = integration::http_post(port, "/api/v1/alerts", native(1));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(metrics_.http_429.load(), 1u);
  EXPECT_TRUE(eventually([&] { return correlated_.load() == 1; }));
}

TEST_F(ServerTest, HttpKeepsTheConnectionAliveAcrossRequests) {
  start();
  const int fd = connect_tcp(port_of(server_->http_address()));
  ASSERT_GE(fd, 0);
  const std::string body = native(7);
  const std::string req =
      "POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  ASSERT_TRUE(send_all(fd, req + req));  // pipelined on one connection
  std::string got;
  char buf[4096];
  while (got.find("HTTP/1.1 200", got.find("HTTP/1.1 200") + 1) == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << got;
    got.append(buf, static_cast<std::size_t>(n));
  }
  EXPECT_TRUE(eventually([&] { return accepted(Listener::kHttp) == 2; }));
  EXPECT_EQ(metrics_.of(Listener::kHttp).units.load(), 1u);  // one connection
  ::close(fd);
}

TEST_F(ServerTest, UdpTakesSeveralAlertsPerDatagramAndCountsWhatItDropsWhenFull) {
  start(4);
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port_of(server_->udp_address()));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string three = native(1) + native(2) + native(3);
  ASSERT_EQ(
      ::sendto(fd, three.data(), three.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa),
      static_cast<ssize_t>(three.size()));
  const std::string one = native(4).substr(0, native(4).size() - 1);  // no newline: still one
  ASSERT_GT(::sendto(fd, one.data(), one.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa),
            0);
  ASSERT_TRUE(eventually([&] { return accepted(Listener::kUdp) == 4; }));

  hold_all();
  ASSERT_GT(
      ::sendto(fd, three.data(), three.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_TRUE(eventually([&] {
    return metrics_.of(Listener::kUdp).dropped[static_cast<std::size_t>(Drop::kQueueFull)].load() ==
           3;
  }));
  EXPECT_EQ(accepted(Listener::kUdp), 4u);
  release_all();
  EXPECT_TRUE(eventually([&] { return correlated_.load() == 4; }));
  ::close(fd);
}

// Small requests are staged on their I/O thread and go to the shards together: from several
// clients at once, every alert answered 200 is correlated, none twice, also once the server stops.
TEST_F(ServerTest, HttpSmallRequestsFromManyClientsAreEachCorrelatedOnce) {
  start(8);
  const std::uint16_t port = port_of(server_->http_address());
  constexpr int kClients = 4, kEach = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t)
    clients.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i)
        for (int attempt = 0; attempt < 1000; ++attempt) {  // a 429 is retried, as Prometheus does
          auto r = integration::http_post(port, "/api/v1/alerts", native(t * kEach + i));
          if (r && r->status == 200) ok.fetch_add(1);
          if (!r || r->status != 429) break;
          std::this_thread::sleep_for(1ms);
        }
    });
  for (auto& c : clients) c.join();
  server_->stop();
  pipe_->finish();
  EXPECT_EQ(ok.load(), kClients * kEach);
  EXPECT_EQ(accepted(Listener::kHttp), static_cast<std::uint64_t>(kClients * kEach));
  EXPECT_EQ(correlated_.load(), static_cast<std::uint64_t>(kClients * kEach));
}

TEST_F(ServerTest, StopFinishesBufferedTcpLinesBeforeClosing) {
  start(4);
  const int fd = connect_tcp(port_of(server_->tcp_address()));
  ASSERT_GE(fd, 0);
  hold_all();
  std::string all;
  for (int i = 0; i < 20; ++i) all += native(i);
  ASSERT_TRUE(send_all(fd, all));
  ASSERT_TRUE(eventually([&] { return metrics_.tcp_backpressure_waits.load() > 0; }));
  // stop() waits for the connection to hand its lines over: free the pipeline meanwhile.
  std::thread freer([&] {
    std::this_thread::sleep_for(50ms);
    release_all();
  });
  server_->stop();
  freer.join();
  EXPECT_EQ(accepted(Listener::kTcp), 20u);
  ::close(fd);
}

}  // namespace
}  // namespace squall::net
