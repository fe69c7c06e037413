// The integration tests' own helpers: processes, temp dirs and the loopback HTTP client and server.
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/integration/http_util.h"
#include "tests/integration/subprocess.h"

namespace squall::integration {
namespace {

using namespace std::chrono_literals;

TEST(Subprocess, ReportsExitCodeAndLogsOutput) {
  auto dir = TempDir::create("squall-support-");
  ASSERT_TRUE(dir) << dir.error().message;
  const auto log = dir->path() / "out.log";
  auto child = Subprocess::start({"/bin/sh", "-c", "echo hello; echo oops >&2; exit 3"}, log);
  ASSERT_TRUE(child) << child.error().message;
  ASSERT_TRUE(child->wait_for_exit(5s));
  ASSERT_TRUE(child->exit_status().has_value());
  EXPECT_TRUE(child->exit_status()->exited);
  EXPECT_EQ(child->exit_status()->code, 3);
  EXPECT_EQ(child->stop().code, 3);  // idempotent once reaped
  EXPECT_EQ(read_file(log), "hello\noops\n");
}

TEST(Subprocess, StopsALongRunningChildWithSigterm) {
  auto dir = TempDir::create("squall-support-");
  ASSERT_TRUE(dir);
  auto child = Subprocess::start({"/bin/sleep", "60"}, dir->path() / "log");
  ASSERT_TRUE(child) << child.error().message;
  EXPECT_TRUE(child->is_running());
  const ExitStatus status = child->stop(5s);
  EXPECT_FALSE(status.exited);
  EXPECT_EQ(status.signal, SIGTERM);
  EXPECT_FALSE(child->is_running());
}

TEST(Subprocess, FailsWhenExecFails) {
  auto dir = TempDir::create("squall-support-");
  ASSERT_TRUE(dir);
  auto child = Subprocess::start({"/nonexistent/binary"}, dir->path() / "log");
  ASSERT_FALSE(child);
  EXPECT_NE(child.error().message.find("No such file"), std::string::npos) << child.error().message;
}

TEST(TempDir, RemovesItsContents) {
  std::filesystem::path path;
  {
    auto dir = TempDir::create("squall-support-");
    ASSERT_TRUE(dir);
    path = dir->path();
    ASSERT_TRUE(write_file(path / "f", "x"));
    EXPECT_TRUE(std::filesystem::exists(path / "f"));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(RecordingHttpServer, RecordsRequestsAndAnswersWithTheHandler) {
  auto server = RecordingHttpServer::start([](const HttpRequest& r) {
    if (r.target == "/missing") return HttpResponse{404, {}, "nope"};
    return HttpResponse{200, {{"Content-Type", "text/plain"}}, "got " + r.body};
  });
  ASSERT_TRUE(server) << server.error().message;
  const std::uint16_t port = (*server)->port();

  auto ok = http_post(port, "/hook", R"({"a":1})");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, R"(got {"a":1})");
  EXPECT_EQ(ok->header("content-type"), "text/plain");

  auto missing = http_get(port, "/missing");
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, "nope");

  ASSERT_TRUE((*server)->wait_until([](const auto& rs) { return rs.size() == 2; }, 5s));
  const std::vector<HttpRequest> rs = (*server)->requests();
  EXPECT_EQ(rs[0].method, "POST");
  EXPECT_EQ(rs[0].target, "/hook");
  EXPECT_EQ(rs[0].body, R"({"a":1})");
  EXPECT_EQ(rs[0].header("Content-Type"), "application/json");
  EXPECT_EQ(rs[1].method, "GET");
  EXPECT_EQ(rs[1].body, "");
}

TEST(RecordingHttpServer, ReadsChunkedRequestBodies) {
  auto server = RecordingHttpServer::start();
  ASSERT_TRUE(server);
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons((*server)->port());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string req =
      "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: t\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  char buf[256];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ::close(fd);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string_view(buf, static_cast<std::size_t>(n)).substr(0, 15), "HTTP/1.1 200 OK");
  const std::vector<HttpRequest> rs = (*server)->requests();
  ASSERT_EQ(rs.size(), 1u);
  EXPECT_EQ(rs[0].body, "hello, world");
}

TEST(RecordingHttpServer, WaitUntilTimesOut) {
  auto server = RecordingHttpServer::start();
  ASSERT_TRUE(server);
  EXPECT_FALSE((*server)->wait_until([](const auto& rs) { return !rs.empty(); }, 20ms));
}

TEST(HttpClient, FailsOnAClosedPort) {
  auto port = free_loopback_port();
  ASSERT_TRUE(port);
  auto r = http_get(*port, "/");
  EXPECT_FALSE(r);
}

}  // namespace
}  // namespace squall::integration
