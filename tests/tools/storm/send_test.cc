// squall storm --send: the load generator against real loopback servers written here.
#include "tools/storm/send.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace squall::storm {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t p = 0;
  while (p < s.size()) {
    std::size_t e = s.find('\n', p);
    e = e == std::string::npos ? s.size() : e + 1;
    out.push_back(s.substr(p, e - p));
    p = e;
  }
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A socket of `type` bound to 127.0.0.1 on a port the kernel picks.
int bound_socket(int type, std::uint16_t* port) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

// Accepts one connection and reads it to the end, then closes.
class TcpSink {
 public:
  TcpSink() {
    fd_ = bound_socket(SOCK_STREAM, &port_);
    ::listen(fd_, 4);
    thread_ = std::thread([this] {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[65536];
      ssize_t n;
      while ((n = ::recv(c, buf, sizeof buf, 0)) > 0)
        data_.append(buf, static_cast<std::size_t>(n));
      ::close(c);
    });
  }
  ~TcpSink() {
    if (thread_.joinable()) {
      ::shutdown(fd_, SHUT_RDWR);
      thread_.join();
    }
    ::close(fd_);
  }
  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  const std::string& join() {
    thread_.join();
    return data_;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::string data_;
  std::thread thread_;
};

// Collects datagrams until told to stop.
class UdpSink {
 public:
  UdpSink() {
    fd_ = bound_socket(SOCK_DGRAM, &port_);
    const int rcvbuf = 8 << 20;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    thread_ = std::thread([this] {
      std::vector<char> buf(65536);
      while (!stop_.load()) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 10) <= 0) continue;
        const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
        if (n < 0) continue;
        std::lock_guard lk(mu_);
        dgrams_.emplace_back(buf.data(), static_cast<std::size_t>(n));
        lines_ += static_cast<std::size_t>(std::count(buf.data(), buf.data() + n, '\n'));
      }
    });
  }
  ~UdpSink() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "udp://127.0.0.1:" + std::to_string(port_); }
  // Waits (at most 2 s) for `lines` lines, then stops reading.
  std::vector<std::string> join(std::size_t lines) {
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    while (Clock::now() < deadline) {
      {
        std::lock_guard lk(mu_);
        if (lines_ >= lines) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    stop_.store(true);
    thread_.join();
    return dgrams_;
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> dgrams_;
  std::size_t lines_ = 0;
  std::thread thread_;
};

// A keep-alive HTTP/1.1 server: `answer(request index, body)` gives the whole response.
class HttpServer {
 public:
  using Answer = std::function<std::string(int, const std::string&)>;
  explicit HttpServer(Answer answer) : answer_(std::move(answer)) {
    fd_ = bound_socket(SOCK_STREAM, &port_);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { serve(); });
  }
  ~HttpServer() {
    stop_.store(true);
    thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> requests() {
    std::lock_guard lk(mu_);
    return requests_;
  }

 private:
  void serve() {
    while (!stop_.load()) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 10) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string in;
      char buf[65536];
      while (true) {
        std::size_t e;
        while ((e = in.find("\r\n\r\n")) == std::string::npos) {
          const ssize_t n = ::recv(c, buf, sizeof buf, 0);
          if (n <= 0) break;
          in.append(buf, static_cast<std::size_t>(n));
        }
        if (e == std::string::npos) break;  // the client closed
        const std::string head = in.substr(0, e);
        in.erase(0, e + 4);
        const std::size_t cl = head.find("Content-Length: ");
        const std::size_t len = cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 16));
        while (in.size() < len) {
          const ssize_t n = ::recv(c, buf, sizeof buf, 0);
          if (n <= 0) break;
          in.append(buf, static_cast<std::size_t>(n));
        }
        const std::string body = in.substr(0, len);
        in.erase(0, len);
        int index;
        {
          std::lock_guard lk(mu_);
          index = static_cast<int>(requests_.size());
          requests_.push_back(head.substr(0, head.find("\r\n")));
        }
        const std::string response = answer_(index, body);
        ::send(c, response.data(), response.size(), MSG_NOSIGNAL);
      }
      ::close(c);
    }
  }

  Answer answer_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

StormOptions storm_options(const fs::path& dir) {
  StormOptions o;
  o.scenario = Scenario::k3am;
  o.seed = 7;
  o.out_dir = dir.string();
  return o;
}

class SendTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        ("squall-send-test-" + std::to_string(::getpid())));
    ASSERT_TRUE(generate_storm(storm_options(*dir_)).has_value());
    file_ = new std::string(read_file(*dir_ / "alerts.ndjson"));
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    delete file_;
  }
  static std::string path() { return (*dir_ / "alerts.ndjson").string(); }
  static const std::string& file() { return *file_; }
  static std::uint64_t lines() { return split_lines(*file_).size(); }

  static fs::path* dir_;
  static std::string* file_;
};
fs::path* SendTest::dir_ = nullptr;
std::string* SendTest::file_ = nullptr;

TEST(SendUrl, ParsesTheThreeTransports) {
  auto tcp = parse_send_url("tcp://127.0.0.1:9400");
  ASSERT_TRUE(tcp.has_value());
  EXPECT_EQ(tcp->transport, Transport::kTcp);
  EXPECT_EQ(tcp->host, "127.0.0.1");
  EXPECT_EQ(tcp->port, 9400);
  auto udp = parse_send_url("udp://localhost:9401");
  ASSERT_TRUE(udp.has_value());
  EXPECT_EQ(udp->transport, Transport::kUdp);
  auto http = parse_send_url("http://[::1]:8080");
  ASSERT_TRUE(http.has_value());
  EXPECT_EQ(http->transport, Transport::kHttp);
  EXPECT_EQ(http->host, "::1");
  EXPECT_EQ(http->path, "/api/v1/alerts");
  auto custom = parse_send_url("http://h:80/ingest");
  ASSERT_TRUE(custom.has_value());
  EXPECT_EQ(custom->path, "/ingest");
}

TEST(SendUrl, RejectsBadUrlsNamingTheFlag) {
  for (const char* url : {"ftp://x", "tcp://nohost", "tcp://host:", "udp://:9400", "tcp://h:0",
                          "http://h:99999", "localhost:9400", "tcp://h:12ab", "tcp://h:1/path"}) {
    const auto r = parse_send_url(url);
    ASSERT_FALSE(r.has_value()) << url;
    EXPECT_NE(r.error().message.find("--send"), std::string::npos) << r.error().message;
  }
  auto src = memory_source("{}\n");
  SendOptions o;
  o.url = "tcp://nohost";
  const auto r = send_alerts(o, *src);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("--send"), std::string::npos);
}

TEST(SendUrl, RefusedConnectionIsAnError) {
  std::uint16_t port = 0;
  const int fd = bound_socket(SOCK_STREAM, &port);  // bound, never listening
  auto src = memory_source("{}\n");
  SendOptions o;
  o.url = "tcp://127.0.0.1:" + std::to_string(port);
  const auto r = send_alerts(o, *src);
  ::close(fd);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("cannot connect"), std::string::npos) << r.error().message;
}

TEST_F(SendTest, TcpDeliversEveryLineIntactAndInOrder) {
  TcpSink sink;
  auto src = open_file_source(path());
  ASSERT_TRUE(src.has_value());
  SendOptions o;
  o.url = sink.url();
  const auto r = send_alerts(o, **src);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(sink.join(), file());
  EXPECT_EQ(r->sent, lines());
  EXPECT_EQ(r->acknowledged, lines());
  EXPECT_EQ(r->failed, 0u);
  EXPECT_EQ(r->bytes, file().size());
  EXPECT_TRUE(r->error.empty()) << r->error;
  EXPECT_EQ(exit_code(*r), 0);
}

TEST_F(SendTest, StreamsAGeneratedStormWithoutWritingIt) {
  TcpSink sink;
  StormOptions so = storm_options("");
  so.out_dir.clear();
  StormSource storm(so);
  SendOptions o;
  o.url = sink.url();
  const auto r = send_alerts(o, storm);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(sink.join(), file());  // the same seed streams the same bytes it writes
  ASSERT_TRUE(storm.summary().has_value()) << storm.summary().error().message;
  EXPECT_EQ(storm.summary()->alerts + storm.summary()->changes, lines());
  EXPECT_EQ(r->acknowledged, lines());
}

TEST_F(SendTest, UdpPacksWholeLinesIntoSmallDatagrams) {
  UdpSink sink;
  auto src = open_file_source(path());
  ASSERT_TRUE(src.has_value());
  SendOptions o;
  o.url = sink.url();
  o.rate = 20000;  // paced, so a burst never overflows the reader
  const auto r = send_alerts(o, **src);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto dgrams = sink.join(lines());
  std::multiset<std::string> got;
  for (const std::string& d : dgrams) {
    EXPECT_LE(d.size(), kMaxDatagramBytes);
    ASSERT_FALSE(d.empty());
    EXPECT_EQ(d.back(), '\n');  // whole lines only
    for (auto& l : split_lines(d)) got.insert(l);
  }
  const auto want_v = split_lines(file());
  EXPECT_EQ(got, std::multiset<std::string>(want_v.begin(), want_v.end()));
  EXPECT_LT(dgrams.size(), want_v.size());  // lines share datagrams
  EXPECT_EQ(r->messages, dgrams.size());
  EXPECT_EQ(r->acknowledged, lines());
  EXPECT_EQ(r->failed, 0u);
}

TEST(SendUdp, LinesTooLongForADatagramFail) {
  UdpSink sink;
  const std::string big = "{\"x\":\"" + std::string(2000, 'a') + "\"}\n";
  auto src = memory_source("{\"a\":1}\n" + big + "{\"b\":2}\n");
  SendOptions o;
  o.url = sink.url();
  const auto r = send_alerts(o, *src);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto dgrams = sink.join(2);
  ASSERT_EQ(dgrams.size(), 1u);
  EXPECT_EQ(dgrams[0], "{\"a\":1}\n{\"b\":2}\n");
  EXPECT_EQ(r->sent, 3u);
  EXPECT_EQ(r->acknowledged, 2u);
  EXPECT_EQ(r->failed, 1u);
  EXPECT_EQ(exit_code(*r), 1);
}

TEST_F(SendTest, HttpResendsAfter429AndDuplicatesNothing) {
  std::mutex mu;
  std::vector<std::string> accepted;
  HttpServer server([&](int index, const std::string& body) -> std::string {
    if (index == 0)
      return "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 4\r\n\r\nfull";
    std::lock_guard lk(mu);
    accepted.push_back(body);
    return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  });
  auto src = open_file_source(path());
  ASSERT_TRUE(src.has_value());
  SendOptions o;
  o.url = server.url();
  o.batch = 50;
  const auto r = send_alerts(o, **src);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  std::string all;
  for (const auto& b : accepted) all += b;
  EXPECT_EQ(all, file());  // one connection: in order, each alert once
  EXPECT_EQ(r->sent, lines());
  EXPECT_EQ(r->acknowledged, lines());
  EXPECT_EQ(r->failed, 0u);
  EXPECT_EQ(r->retries, 1u);
  EXPECT_EQ(r->messages, accepted.size() + 1);
  EXPECT_EQ(exit_code(*r), 0);
  const auto reqs = server.requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs[0], "POST /api/v1/alerts HTTP/1.1");
}

TEST_F(SendTest, HttpRejectedBatchesCountAsFailed) {
  HttpServer server([](int, const std::string&) -> std::string {
    return "HTTP/1.1 400 Bad Request\r\nContent-Length: 8\r\n\r\nbad json";
  });
  auto src = open_file_source(path());
  ASSERT_TRUE(src.has_value());
  SendOptions o;
  o.url = server.url();
  o.batch = 64;
  o.connections = 2;
  const auto r = send_alerts(o, **src);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->sent, lines());
  EXPECT_EQ(r->failed, lines());
  EXPECT_EQ(r->acknowledged, 0u);
  EXPECT_EQ(r->retries, 0u);
  EXPECT_NE(r->last_failure.find("HTTP 400: bad json"), std::string::npos) << r->last_failure;
  EXPECT_EQ(exit_code(*r), 1);
}

TEST(SendPacing, RateSpreadsAlertsOverTime) {
  std::string ndjson;
  for (int i = 0; i < 200; ++i) ndjson += "{\"id\":\"a" + std::to_string(i) + "\"}\n";
  TcpSink sink;
  auto src = memory_source(ndjson);
  SendOptions o;
  o.url = sink.url();
  o.rate = 1000;
  const auto t0 = Clock::now();
  const auto r = send_alerts(o, *src);
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(sink.join(), ndjson);
  EXPECT_GE(secs, 0.15);  // 200 alerts at 1000/s: the last one goes at 0.199 s
  EXPECT_EQ(r->acknowledged, 200u);
}

TEST(SendPacing, SpeedupFollowsEventTimeAndRestampRewritesIt) {
  const std::string ndjson =
      "{\"id\":\"a\",\"ts\":1000000,\"labels\":{\"ts\":\"x\"}}\n"
      "{\"id\":\"b\",\"labels\":{\"ts\":\"y\"},\"ts\":\"1970-01-01T00:16:41Z\"}\n"  // +1 s
      "{\"id\":\"c\",\"startsAt\":1002000}\n";                                      // +2 s
  TcpSink sink;
  auto src = memory_source(ndjson);
  SendOptions o;
  o.url = sink.url();
  o.speedup = 10;
  o.restamp = true;
  const auto wall0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const auto t0 = Clock::now();
  const auto r = send_alerts(o, *src);
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_GE(secs, 0.15);  // 2 s of event time at 10x
  const auto got = split_lines(sink.join());
  ASSERT_EQ(got.size(), 3u);
  auto ts_of = [](const std::string& l, const std::string& key, bool last) {
    const std::string k = "\"" + key + "\":";
    return std::stoll(l.substr((last ? l.rfind(k) : l.find(k)) + k.size()));
  };
  const long long a = ts_of(got[0], "ts", false), b = ts_of(got[1], "ts", true),
                  c = ts_of(got[2], "startsAt", false);
  EXPECT_GE(a, wall0);
  EXPECT_LT(a, wall0 + 60'000);
  EXPECT_EQ(b - a, 100);
  EXPECT_EQ(c - a, 200);
  EXPECT_NE(got[0].find("\"labels\":{\"ts\":\"x\"}"), std::string::npos);  // nested keys untouched
  EXPECT_EQ(got[1].rfind("{\"id\":\"b\",\"labels\":{\"ts\":\"y\"},\"ts\":", 0), 0u) << got[1];
}

TEST(SendSource, FileSourceDropsBlankLinesAndCarriesPartialLines) {
  const fs::path p =
      fs::temp_directory_path() / ("squall-send-source-" + std::to_string(::getpid()) + ".ndjson");
  std::string want;
  {
    std::ofstream out(p, std::ios::binary);
    out << "\n  \n";
    for (int i = 0; i < 30000; ++i) {  // ~3 MiB: several blocks, lines cut at block ends
      const std::string l = "{\"id\":\"a-" + std::to_string(i) + "\",\"pad\":\"" +
                            std::string(static_cast<std::size_t>(60 + i % 50), 'x') + "\"}";
      out << l << (i % 1000 == 0 ? "\r\n\n" : "\n");
      want += l + (i % 1000 == 0 ? "\r\n" : "\n");
    }
    out << "{\"last\":true}";  // no final newline
    want += "{\"last\":true}\n";
  }
  auto src = open_file_source(p.string());
  ASSERT_TRUE(src.has_value());
  std::string got;
  std::uint64_t count = 0;
  while (true) {
    auto c = (*src)->next();
    ASSERT_TRUE(c.has_value());
    if (c->lines.empty()) break;
    EXPECT_EQ(c->lines.back(), '\n');
    EXPECT_EQ(c->count,
              static_cast<std::uint64_t>(std::count(c->lines.begin(), c->lines.end(), '\n')));
    got += c->lines;
    count += c->count;
  }
  fs::remove(p);
  EXPECT_EQ(got, want);
  EXPECT_EQ(count, 30001u);
  EXPECT_FALSE(open_file_source("/nonexistent/alerts.ndjson").has_value());
}

TEST(SendReportTest, SummaryLineAndExitCode) {
  SendReport r;
  r.sent = 10;
  r.acknowledged = 10;
  r.seconds = 2;
  EXPECT_EQ(report_line(r), "sent 10, acknowledged 10, failed 0 in 2.00 s (5 alerts/s)");
  EXPECT_EQ(exit_code(r), 0);
  r.error = "peer lost";
  EXPECT_EQ(exit_code(r), 1);
  r.error.clear();
  r.failed = 1;
  EXPECT_EQ(exit_code(r), 1);
}

}  // namespace
}  // namespace squall::storm
