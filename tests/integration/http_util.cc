#include "tests/integration/http_util.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace squall::integration {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxHeadBytes = 64 * 1024;
constexpr std::size_t kMaxBodyBytes = 64 * 1024 * 1024;
constexpr std::chrono::seconds kServerIoTimeout{10};

std::string errno_text(std::string_view what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
           return lower(x) == lower(y);
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view find_header(const std::vector<HttpHeader>& headers, std::string_view name) {
  for (const HttpHeader& h : headers)
    if (iequals(h.name, name)) return h.value;
  return {};
}

// Milliseconds left until `deadline`, for poll(); 0 when past.
int ms_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<std::int64_t>(left.count(), 1 << 30));
}

// Waits until `fd` is ready for `events` or the deadline passes.
core::Result<void> wait_ready(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, ms_left(deadline));
    if (r > 0) return {};
    if (r == 0) return core::make_error("timed out");
    if (errno != EINTR) return core::make_error(errno_text("poll", errno));
  }
}

core::Result<void> write_all(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    if (auto r = wait_ready(fd, POLLOUT, deadline); !r) return r;
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return core::make_error(errno_text("send", errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// Buffered reads from a socket, each bounded by one deadline for the whole message.
class Reader {
 public:
  Reader(int fd, Clock::time_point deadline) : fd_(fd), deadline_(deadline) {}

  // The next line, without its CRLF (a bare LF is accepted too).
  core::Result<std::string> read_line(std::size_t max_bytes) {
    while (true) {
      const std::size_t nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        std::string line = buf_.substr(pos_, nl - pos_);
        pos_ = nl + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (buf_.size() - pos_ > max_bytes) return core::make_error("line too long");
      if (auto r = fill(); !r) return tl::unexpected(r.error());
      if (eof_) return core::make_error("connection closed mid-line");
    }
  }

  core::Result<std::string> read_exact(std::size_t n) {
    while (buf_.size() - pos_ < n) {
      if (auto r = fill(); !r) return tl::unexpected(r.error());
      if (eof_) return core::make_error("connection closed mid-body");
    }
    std::string out = buf_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  core::Result<std::string> read_to_eof(std::size_t max_bytes) {
    while (!eof_) {
      if (buf_.size() - pos_ > max_bytes) return core::make_error("body too large");
      if (auto r = fill(); !r) return tl::unexpected(r.error());
    }
    std::string out = buf_.substr(pos_);
    pos_ = buf_.size();
    return out;
  }

 private:
  core::Result<void> fill() {
    if (pos_ > 0 && pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    }
    while (true) {
      if (auto r = wait_ready(fd_, POLLIN, deadline_); !r) return r;
      char chunk[16 * 1024];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
        return core::make_error(errno_text("recv", errno));
      }
      if (n == 0) eof_ = true;
      buf_.append(chunk, static_cast<std::size_t>(n));
      return {};
    }
  }

  int fd_;
  Clock::time_point deadline_;
  std::string buf_;
  std::size_t pos_ = 0;
  bool eof_ = false;
};

// The start line, and the headers up to the empty line.
struct Head {
  std::string start_line;
  std::vector<HttpHeader> headers;
};

core::Result<Head> read_head(Reader& in) {
  Head head;
  std::size_t total = 0;
  auto first = in.read_line(kMaxHeadBytes);
  if (!first) return tl::unexpected(first.error());
  head.start_line = std::move(*first);
  while (true) {
    auto line = in.read_line(kMaxHeadBytes);
    if (!line) return tl::unexpected(line.error());
    total += line->size();
    if (total > kMaxHeadBytes) return core::make_error("header section too large");
    if (line->empty()) return head;
    const std::size_t colon = line->find(':');
    if (colon == std::string::npos || colon == 0) return core::make_error("malformed header line");
    std::string_view l(*line);
    head.headers.push_back(
        HttpHeader{std::string(l.substr(0, colon)), std::string(trim(l.substr(colon + 1)))});
  }
}

core::Result<std::size_t> parse_size(std::string_view s, int base) {
  s = trim(s);
  std::size_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    return core::make_error("bad size '" + std::string(s) + "'");
  return v;
}

// The body per the headers: chunked, Content-Length, or (responses only) up to EOF.
core::Result<std::string> read_body(Reader& in, const std::vector<HttpHeader>& headers,
                                    bool until_eof_by_default) {
  const std::string_view te = find_header(headers, "Transfer-Encoding");
  if (!te.empty()) {
    if (!iequals(trim(te), "chunked")) return core::make_error("unsupported Transfer-Encoding");
    std::string body;
    while (true) {
      auto line = in.read_line(1024);
      if (!line) return tl::unexpected(line.error());
      std::string_view size_text(*line);
      size_text = size_text.substr(0, size_text.find(';'));  // drop chunk extensions
      auto size = parse_size(size_text, 16);
      if (!size) return tl::unexpected(size.error());
      if (*size == 0) break;
      if (body.size() + *size > kMaxBodyBytes) return core::make_error("body too large");
      auto data = in.read_exact(*size);
      if (!data) return tl::unexpected(data.error());
      body += *data;
      auto crlf = in.read_line(2);
      if (!crlf) return tl::unexpected(crlf.error());
      if (!crlf->empty()) return core::make_error("chunk not followed by CRLF");
    }
    while (true) {  // trailers, up to the empty line
      auto line = in.read_line(kMaxHeadBytes);
      if (!line) return tl::unexpected(line.error());
      if (line->empty()) return body;
    }
  }
  const std::string_view cl = find_header(headers, "Content-Length");
  if (!cl.empty()) {
    auto size = parse_size(cl, 10);
    if (!size) return tl::unexpected(size.error());
    if (*size > kMaxBodyBytes) return core::make_error("body too large");
    return in.read_exact(*size);
  }
  if (until_eof_by_default) return in.read_to_eof(kMaxBodyBytes);
  return std::string();
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

class SocketFd {
 public:
  explicit SocketFd(int fd) : fd_(fd) {}
  SocketFd(const SocketFd&) = delete;
  SocketFd& operator=(const SocketFd&) = delete;
  ~SocketFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

std::string_view HttpRequest::header(std::string_view name) const {
  return find_header(headers, name);
}

std::string_view HttpResponse::header(std::string_view name) const {
  return find_header(headers, name);
}

// ---- client ----

core::Result<HttpResponse> http_request(std::uint16_t port, std::string_view method,
                                        std::string_view target, std::string_view body,
                                        std::string_view content_type,
                                        std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  SocketFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return core::make_error(errno_text("socket", errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  // A blocking connect: on loopback it succeeds or is refused at once.
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return core::make_error(errno_text("connect 127.0.0.1:" + std::to_string(port), errno));

  std::string req;
  req.reserve(256 + body.size());
  req.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  req.append("Host: 127.0.0.1:").append(std::to_string(port)).append("\r\n");
  req.append("User-Agent: squall-integration-test\r\nAccept: */*\r\nConnection: close\r\n");
  if (!body.empty() || method == "POST" || method == "PUT") {
    if (!content_type.empty()) req.append("Content-Type: ").append(content_type).append("\r\n");
    req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  req.append("\r\n").append(body);
  if (auto r = write_all(fd.get(), req, deadline); !r) return tl::unexpected(r.error());

  Reader in(fd.get(), deadline);
  HttpResponse resp;
  while (true) {
    auto head = read_head(in);
    if (!head) return core::make_error("reading response: " + head.error().message);
    // "HTTP/1.1 200 OK"
    std::string_view line(head->start_line);
    if (line.substr(0, 5) != "HTTP/" || line.size() < 12)
      return core::make_error("bad status line '" + head->start_line + "'");
    int status = 0;
    const auto [p, ec] = std::from_chars(line.data() + 9, line.data() + 12, status);
    if (ec != std::errc() || p != line.data() + 12)
      return core::make_error("bad status line '" + head->start_line + "'");
    if (status >= 100 && status < 200) continue;  // interim responses
    resp.status = status;
    resp.headers = std::move(head->headers);
    break;
  }
  const bool no_body = method == "HEAD" || resp.status == 204 || resp.status == 304;
  if (!no_body) {
    auto b = read_body(in, resp.headers, /*until_eof_by_default=*/true);
    if (!b) return core::make_error("reading response body: " + b.error().message);
    resp.body = std::move(*b);
  }
  return resp;
}

// ---- server ----

core::Result<std::unique_ptr<RecordingHttpServer>> RecordingHttpServer::start(Handler handler) {
  SocketFd listen_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (listen_fd.get() < 0) return core::make_error(errno_text("socket", errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return core::make_error(errno_text("bind 127.0.0.1:0", errno));
  if (::listen(listen_fd.get(), 128) != 0) return core::make_error(errno_text("listen", errno));
  socklen_t len = sizeof addr;
  if (::getsockname(listen_fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return core::make_error(errno_text("getsockname", errno));
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) return core::make_error(errno_text("pipe2", errno));
  if (!handler) handler = [](const HttpRequest&) { return HttpResponse{200, {}, {}}; };
  std::unique_ptr<RecordingHttpServer> server(new RecordingHttpServer(
      listen_fd.release(), wake[0], wake[1], ntohs(addr.sin_port), std::move(handler)));
  server->thread_ = std::thread([s = server.get()] { s->run(); });
  return server;
}

RecordingHttpServer::RecordingHttpServer(int listen_fd, int wake_read, int wake_write,
                                         std::uint16_t port, Handler handler)
    : listen_fd_(listen_fd),
      wake_read_(wake_read),
      wake_write_(wake_write),
      port_(port),
      handler_(std::move(handler)) {}

RecordingHttpServer::~RecordingHttpServer() {
  stop();
  ::close(listen_fd_);
  ::close(wake_read_);
  ::close(wake_write_);
}

void RecordingHttpServer::stop() {
  if (!thread_.joinable()) return;
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_write_, &byte, 1);
  thread_.join();
}

std::vector<HttpRequest> RecordingHttpServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

bool RecordingHttpServer::wait_until(
    const std::function<bool(const std::vector<HttpRequest>&)>& done,
    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done(requests_); });
}

void RecordingHttpServer::run() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    const int r = ::poll(fds, 2, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;  // the peer gave up already (ECONNABORTED) or EINTR: keep serving
    SocketFd guard(conn);
    serve(conn);
  }
}

void RecordingHttpServer::serve(int conn_fd) {
  const auto deadline = Clock::now() + kServerIoTimeout;
  Reader in(conn_fd, deadline);
  HttpRequest req;
  auto respond = [&](const HttpResponse& resp) {
    std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " ";
    out.append(reason_phrase(resp.status)).append("\r\n");
    for (const HttpHeader& h : resp.headers)
      out.append(h.name).append(": ").append(h.value) += "\r\n";
    out.append("Content-Length: ").append(std::to_string(resp.body.size())).append("\r\n");
    out.append("Connection: close\r\n\r\n").append(resp.body);
    (void)write_all(conn_fd, out, deadline);  // the peer may have gone: nothing to do about it
  };
  auto bad_request = [&](const std::string& why) {
    respond(HttpResponse{400, {{"Content-Type", "text/plain"}}, why + "\n"});
  };

  auto head = read_head(in);
  if (!head) return bad_request(head.error().message);
  // "POST /hook HTTP/1.1"
  std::string_view line(head->start_line);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.substr(sp2 + 1, 5) != "HTTP/")
    return bad_request("bad request line");
  req.method = std::string(line.substr(0, sp1));
  req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  req.headers = std::move(head->headers);
  if (iequals(req.header("Expect"), "100-continue"))
    (void)write_all(conn_fd, "HTTP/1.1 100 Continue\r\n\r\n", deadline);
  auto body = read_body(in, req.headers, /*until_eof_by_default=*/false);
  if (!body) return bad_request(body.error().message);
  req.body = std::move(*body);

  const HttpResponse resp = handler_(req);
  {
    // Recorded before the answer, so a client that saw the answer also sees the record.
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(req));
  }
  cv_.notify_all();
  respond(resp);
}

}  // namespace squall::integration
