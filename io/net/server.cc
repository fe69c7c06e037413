#include "io/net/server.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <arpa/inet.h>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/core/json_writer.h"
#include "io/net/asio.h"

namespace squall::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;

// HTTP bodies up to this size are staged (parsed into the I/O thread's open chunk, sent to the
// shards with the others ready in the same round); larger ones are a chunk of their own.
constexpr std::size_t kStagedBodyBytes = 64 * 1024;

void count_submitted(ListenerMetrics& lm, const pipeline::Submitted& r) {
  if (r.accepted != 0) lm.accepted.fetch_add(r.accepted, std::memory_order_relaxed);
  if (r.rejected == 0) return;
  for (std::size_t i = 0; i < r.rejected_by.size(); ++i)
    if (r.rejected_by[i] != 0)
      lm.rejected[i].fetch_add(r.rejected_by[i], std::memory_order_relaxed);
}

std::string endpoint_string(const asio::ip::address& a, std::uint16_t port) {
  return a.to_string() + ":" + std::to_string(port);
}

}  // namespace

core::Result<std::pair<std::string, std::uint16_t>> parse_address(std::string_view addr,
                                                                  std::string_view what) {
  const auto colon = addr.rfind(':');
  if (colon == std::string_view::npos)
    return core::make_error(std::string(what) + ": '" + std::string(addr) +
                            "' is not HOST:PORT or :PORT");
  std::string host(addr.substr(0, colon));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  const std::string_view port_s = addr.substr(colon + 1);
  unsigned long port = 0;
  if (port_s.empty() || port_s.size() > 5 ||
      !std::all_of(port_s.begin(), port_s.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      (port = std::stoul(std::string(port_s))) > 65535)
    return core::make_error(std::string(what) + ": '" + std::string(addr) +
                            "': port must be 0-65535");
  error_code ec;
  (void)asio::ip::make_address(host, ec);
  if (ec)
    return core::make_error(std::string(what) + ": '" + std::string(addr) + "': '" + host +
                            "' is not an IP address");
  return std::make_pair(host, static_cast<std::uint16_t>(port));
}

// A connection the server can ask to finish (drain) and that it waits for at stop.
struct Conn {
  virtual ~Conn() = default;
  virtual void drain() = 0;  // on the connection's own executor
  virtual asio::any_io_executor executor() = 0;
};

struct Server::Impl {
  Impl(const ServerOptions& o, Metrics& metrics, HttpHandler h)
      : opt(o), m(metrics), handler(std::move(h)) {}

  ServerOptions opt;
  Metrics& m;
  HttpHandler handler;
  std::vector<std::unique_ptr<asio::io_context>> ctx;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  std::vector<pipeline::Producer*> io_producers;
  std::vector<pipeline::Producer*> udp_producers;
  // Per I/O context: whether a flush of the producer's staged HTTP alerts is already posted (read
  // and written on that context's thread only). Small requests are staged (Producer::stage) and
  // go to the shards together once the context has handled what it had ready.
  std::vector<std::unique_ptr<bool>> flush_posted;
  std::unique_ptr<tcp::acceptor> tcp_acceptor, http_acceptor;
  std::vector<int> udp_fds;
  std::vector<std::thread> threads;
  std::atomic<unsigned> next_ctx{0};
  std::atomic<bool> draining{false};
  std::string http_addr, tcp_addr, udp_addr;
  bool stopped = false;

  std::mutex conns_mu;  // connect and disconnect only, never per read
  std::unordered_map<Conn*, std::weak_ptr<Conn>> conns;

  void add(const std::shared_ptr<Conn>& c) {
    std::lock_guard lock(conns_mu);
    conns.emplace(c.get(), c);
  }
  void remove(Conn* c) {
    std::lock_guard lock(conns_mu);
    conns.erase(c);
  }
  std::size_t live_conns() {
    std::lock_guard lock(conns_mu);
    return conns.size();
  }

  std::size_t pick() { return next_ctx.fetch_add(1, std::memory_order_relaxed) % ctx.size(); }

  void accept_tcp();
  void accept_http();
  void udp_loop(int fd, pipeline::Producer& producer);
  void stop();
};

namespace {

// ---- TCP NDJSON
// -----------------------------------------------------------------------------------

class TcpConn final : public Conn, public std::enable_shared_from_this<TcpConn> {
 public:
  TcpConn(Server::Impl& s, tcp::socket sock, pipeline::Producer& producer)
      : s_(s),
        lm_(s.m.of(Listener::kTcp)),
        sock_(std::move(sock)),
        timer_(sock_.get_executor()),
        producer_(producer),
        cap_(std::max(s.opt.read_bytes, 2 * s.opt.max_line_bytes + 2)),
        buf_(std::make_unique<char[]>(cap_)) {}

  void start() {
    lm_.units.fetch_add(1, std::memory_order_relaxed);
    error_code ec;
    sock_.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
    read();
  }
  void drain() override {
    error_code ec;
    sock_.cancel(ec);
    timer_.cancel();
  }
  asio::any_io_executor executor() override { return sock_.get_executor(); }

 private:
  void read() {
    sock_.async_read_some(
        asio::buffer(buf_.get() + len_, cap_ - len_),
        [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(error_code ec, std::size_t n) {
    len_ += n;
    if (n != 0) lm_.bytes.fetch_add(n, std::memory_order_relaxed);
    if (ec) {
      // End of stream: a last line without its newline still counts as a line.
      if (ec == asio::error::eof && len_ > 0 && !discarding_ && len_ < cap_) buf_[len_++] = '\n';
      finish();
      return;
    }
    process();
  }

  void process() {
    if (!hand_over(false)) {
      // Backpressure: the pipeline is full. Stop reading; the kernel's buffers fill and the
      // sender blocks. Try again shortly.
      s_.m.tcp_backpressure_waits.fetch_add(1, std::memory_order_relaxed);
      timer_.expires_after(std::chrono::microseconds(500));
      timer_.async_wait([self = shared_from_this()](error_code) {
        if (self->s_.draining.load(std::memory_order_relaxed)) {
          self->finish();
          return;
        }
        self->process();
      });
      return;
    }
    if (s_.draining.load(std::memory_order_relaxed)) {
      finish();
      return;
    }
    read();
  }

  // Hands every complete line in the buffer to the pipeline. False when no chunk was free (and
  // `block` is false); the lines stay in the buffer.
  bool hand_over(bool block) {
    for (;;) {
      if (discarding_) {
        const void* nl = std::memchr(buf_.get(), '\n', len_);
        if (!nl) {
          len_ = 0;
          return true;
        }
        const std::size_t skip =
            static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.get()) + 1;
        std::memmove(buf_.get(), buf_.get() + skip, len_ - skip);
        len_ -= skip;
        discarding_ = false;
      }
      const void* last = len_ ? memrchr(buf_.get(), '\n', len_) : nullptr;
      if (!last) {
        if (len_ > s_.opt.max_line_bytes) {
          // A line over the limit: rejected, skipped up to its end; the connection goes on.
          s_.m.tcp_lines_too_long.fetch_add(1, std::memory_order_relaxed);
          lm_.rejected[static_cast<std::size_t>(parse::Reject::kTooLarge)].fetch_add(
              1, std::memory_order_relaxed);
          discarding_ = true;
          len_ = 0;
        }
        return true;
      }
      const std::size_t whole =
          static_cast<std::size_t>(static_cast<const char*>(last) - buf_.get()) + 1;
      pipeline::Chunk* c = producer_.try_acquire(whole);
      if (!c) {
        if (!block) return false;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        continue;
      }
      c->assign(std::string_view(buf_.get(), whole));
      count_submitted(lm_, producer_.submit(c));
      std::memmove(buf_.get(), buf_.get() + whole, len_ - whole);
      len_ -= whole;
      return true;
    }
  }

  // No more reading: what is complete goes to the pipeline (waiting for room if need be), then
  // the connection closes.
  void finish() {
    if (closed_) return;
    closed_ = true;
    timer_.cancel();
    hand_over(true);
    error_code ec;
    sock_.shutdown(tcp::socket::shutdown_both, ec);
    sock_.close(ec);
    s_.remove(this);
  }

  Server::Impl& s_;
  ListenerMetrics& lm_;
  tcp::socket sock_;
  asio::steady_timer timer_;
  pipeline::Producer& producer_;
  std::size_t cap_;
  std::unique_ptr<char[]> buf_;
  std::size_t len_ = 0;
  bool discarding_ = false;
  bool closed_ = false;
};

// ---- HTTP
// -----------------------------------------------------------------------------------------

struct Route {
  bool ingest = false;
  parse::Format format = parse::Format::kNative;
};

Route route_of(std::string_view path) {
  if (path == "/api/v2/alerts") return {true, parse::Format::kAlertmanagerV2};
  if (path == "/api/v1/webhook") return {true, parse::Format::kWebhookV4};
  if (path == "/api/v1/alerts") return {true, parse::Format::kNative};
  return {};
}

class HttpConn final : public Conn, public std::enable_shared_from_this<HttpConn> {
 public:
  HttpConn(Server::Impl& s, tcp::socket sock, pipeline::Producer& producer, bool& flush_posted)
      : s_(s),
        lm_(s.m.of(Listener::kHttp)),
        stream_(std::move(sock)),
        producer_(producer),
        flush_posted_(flush_posted) {}

  void start() {
    lm_.units.fetch_add(1, std::memory_order_relaxed);
    read();
  }
  void drain() override {
    // An idle keep-alive connection closes now; one in a request finishes it first.
    if (!busy_) {
      error_code ec;
      stream_.socket().cancel(ec);
    }
  }
  asio::any_io_executor executor() override { return stream_.get_executor(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(s_.opt.max_body_bytes);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(std::chrono::seconds(s_.opt.idle_timeout_s));
    busy_ = false;
    http::async_read(
        stream_, buf_, *parser_,
        [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(error_code ec, std::size_t n) {
    busy_ = true;
    if (n != 0) lm_.bytes.fetch_add(n, std::memory_order_relaxed);
    if (ec == http::error::body_limit) {
      reply(413, "application/json",
            "{\"status\":\"error\",\"error\":\"body over " + std::to_string(s_.opt.max_body_bytes) +
                " bytes (server.max_body_bytes)\"}",
            false);
      return;
    }
    if (ec) {
      close();
      return;
    }
    handle(parser_->get());
  }

  void handle(http::request<http::string_body>& req) {
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    const bool keep = req.keep_alive();
    const Route r = route_of(path);
    if (!r.ingest) {
      const std::string_view method(req.method_string().data(), req.method_string().size());
      HttpReply out = s_.handler ? s_.handler(method, target) : HttpReply{404, "text/plain", ""};
      reply(out.status, out.content_type, std::move(out.body), keep);
      return;
    }
    if (req.method() != http::verb::post) {
      reply(405, "application/json", "{\"status\":\"error\",\"error\":\"use POST\"}", keep);
      return;
    }
    if (s_.draining.load(std::memory_order_relaxed)) {
      reply(503, "application/json", "{\"status\":\"error\",\"error\":\"shutting down\"}", false);
      return;
    }
    const std::string& body = req.body();
    const bool whole_body = r.format != parse::Format::kNative;
    pipeline::Submitted res;
    if (body.size() <= kStagedBodyBytes) {
      const std::optional<pipeline::Submitted> staged = producer_.stage(body, r.format, whole_body);
      if (!staged) {
        full(keep);
        return;
      }
      res = *staged;
      if (producer_.staged() && !flush_posted_) {
        flush_posted_ = true;
        asio::post(stream_.get_executor(), [&p = producer_, &posted = flush_posted_] {
          posted = false;
          p.flush();
        });
      }
    } else {
      producer_.flush();  // what this thread staged goes first
      pipeline::Chunk* c = producer_.try_acquire(body.size());
      if (!c) {
        full(keep);
        return;
      }
      c->assign(body);
      c->format = r.format;
      c->whole_body = whole_body;
      res = producer_.submit(c);
    }
    count_submitted(lm_, res);
    if (res.accepted == 0 && res.rejected > 0) {
      const std::string what = std::string(parse::reject_reason(res.first_reject)) +
                               (r.format == parse::Format::kNative ? " (line " : " (alert ") +
                               std::to_string(res.first_reject_index) + ")";
      std::string msg;
      core::JsonWriter(msg)
          .begin_object()
          .kv("status", "error")
          .kv("error", what)
          .kv("rejected", std::uint64_t{res.rejected})
          .end_object();
      reply(400, "application/json", std::move(msg), keep);
      return;
    }
    std::string ok;
    core::JsonWriter w(ok);
    w.begin_object()
        .kv("status", "success")
        .kv("accepted", std::uint64_t{res.accepted})
        .kv("rejected", std::uint64_t{res.rejected});
    if (res.rejected > 0) w.kv("first_error", parse::reject_reason(res.first_reject));
    w.end_object();
    reply(200, "application/json", std::move(ok), keep);
  }

  void full(bool keep) {
    reply(429, "application/json",
          "{\"status\":\"error\",\"error\":\"pipeline full, retry later\"}", keep);
  }

  void reply(int status, std::string_view content_type, std::string body, bool keep) {
    if (status >= 200 && status < 300)
      s_.m.http_2xx.fetch_add(1, std::memory_order_relaxed);
    else if (status == 400)
      s_.m.http_400.fetch_add(1, std::memory_order_relaxed);
    else if (status == 404)
      s_.m.http_404.fetch_add(1, std::memory_order_relaxed);
    else if (status == 413)
      s_.m.http_413.fetch_add(1, std::memory_order_relaxed);
    else if (status == 429)
      s_.m.http_429.fetch_add(1, std::memory_order_relaxed);
    else if (status >= 500)
      s_.m.http_5xx.fetch_add(1, std::memory_order_relaxed);
    keep = keep && !s_.draining.load(std::memory_order_relaxed);
    res_ = {};
    res_.version(parser_ && parser_->is_header_done() ? parser_->get().version() : 11);
    res_.result(static_cast<unsigned>(status));
    res_.set(http::field::server, "squall");
    res_.set(http::field::content_type,
             beast::string_view(content_type.data(), content_type.size()));
    if (status == 429 || status == 503)
      res_.set(http::field::retry_after, std::to_string(s_.opt.retry_after_s));
    res_.keep_alive(keep);
    res_.body() = std::move(body);
    res_.prepare_payload();
    stream_.expires_after(std::chrono::seconds(30));
    http::async_write(stream_, res_, [self = shared_from_this(), keep](error_code ec, std::size_t) {
      if (ec || !keep) {
        self->close();
        return;
      }
      self->read();
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    s_.remove(this);
  }

  Server::Impl& s_;
  ListenerMetrics& lm_;
  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  pipeline::Producer& producer_;
  bool& flush_posted_;
  bool busy_ = false;
  bool closed_ = false;
};

core::Result<std::unique_ptr<tcp::acceptor>> listen_tcp(asio::io_context& ctx,
                                                        const std::string& addr,
                                                        std::string_view key, std::string& bound) {
  auto hp = parse_address(addr, key);
  if (!hp) return tl::unexpected(hp.error());
  error_code ec;
  const tcp::endpoint ep(asio::ip::make_address(hp->first), hp->second);
  auto acc = std::make_unique<tcp::acceptor>(ctx);
  acc->open(ep.protocol(), ec);
  if (!ec) acc->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acc->bind(ep, ec);
  if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return core::make_error(std::string(key) + ": cannot listen on " + addr + ": " + ec.message());
  const tcp::endpoint local = acc->local_endpoint(ec);
  bound = endpoint_string(local.address(), local.port());
  return acc;
}

int open_udp(const std::string& host, std::uint16_t port, int rcvbuf, std::string& err) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = std::strerror(errno);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  // Kernel drops become visible: each received message carries the socket's drop count.
  ::setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  timeval tv{0, 100'000};  // wake up to notice stop()
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    err = "'" + host + "' is not an IPv4 address";
    ::close(fd);
    return -1;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    err = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

void Server::Impl::accept_tcp() {
  asio::io_context& target = *ctx[pick()];
  tcp_acceptor->async_accept(target, [this, &target](error_code ec, tcp::socket sock) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !tcp_acceptor->is_open()) return;
    } else if (!draining.load()) {
      // The producer of the context the socket lives on.
      std::size_t i = 0;
      while (i < ctx.size() && ctx[i].get() != &target) ++i;
      auto c = std::make_shared<TcpConn>(*this, std::move(sock), *io_producers[i]);
      add(c);
      asio::post(target, [c] { c->start(); });
    }
    if (!draining.load()) accept_tcp();
  });
}

void Server::Impl::accept_http() {
  asio::io_context& target = *ctx[pick()];
  http_acceptor->async_accept(target, [this, &target](error_code ec, tcp::socket sock) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !http_acceptor->is_open()) return;
    } else if (!draining.load()) {
      std::size_t i = 0;
      while (i < ctx.size() && ctx[i].get() != &target) ++i;
      error_code nd;
      sock.set_option(tcp::no_delay(true), nd);
      auto c =
          std::make_shared<HttpConn>(*this, std::move(sock), *io_producers[i], *flush_posted[i]);
      add(c);
      asio::post(target, [c] { c->start(); });
    }
    if (!draining.load()) accept_http();
  });
}

void Server::Impl::udp_loop(int fd, pipeline::Producer& producer) {
  constexpr unsigned kBatch = 64;
  constexpr std::size_t kMaxDatagram = 65536;
  ListenerMetrics& lm = m.of(Listener::kUdp);
  std::vector<char> bufs(kBatch * kMaxDatagram);
  std::vector<mmsghdr> msgs(kBatch);
  std::vector<iovec> iov(kBatch);
  constexpr std::size_t kCtrl = CMSG_SPACE(sizeof(std::uint32_t));
  std::vector<char> ctrl(kBatch * kCtrl);
  std::uint32_t kernel_seen = 0;
  unsigned drain_batches = 0;  // after stop(): what the kernel held, bounded against a live sender
  for (;;) {
    const bool stopping = draining.load(std::memory_order_relaxed);
    if (stopping && ++drain_batches > 1024) return;
    for (unsigned i = 0; i < kBatch; ++i) {
      iov[i] = {bufs.data() + i * kMaxDatagram, kMaxDatagram};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = ctrl.data() + i * kCtrl;
      msgs[i].msg_hdr.msg_controllen = kCtrl;
      msgs[i].msg_len = 0;
    }
    // When stopping, take what the kernel still holds without waiting, then leave.
    const int n =
        ::recvmmsg(fd, msgs.data(), kBatch, stopping ? MSG_DONTWAIT : MSG_WAITFORONE, nullptr);
    if (n <= 0) {
      if (stopping) return;
      continue;  // timeout (EAGAIN) or EINTR: look at the stop flag again
    }
    std::size_t total = 0;
    std::uint64_t lines = 0;
    for (int i = 0; i < n; ++i) {
      const msghdr& h = msgs[static_cast<std::size_t>(i)].msg_hdr;
      for (cmsghdr* cm = CMSG_FIRSTHDR(&h); cm; cm = CMSG_NXTHDR(const_cast<msghdr*>(&h), cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL) {
          std::uint32_t dropped = 0;
          std::memcpy(&dropped, CMSG_DATA(cm), sizeof dropped);
          if (dropped > kernel_seen) {
            lm.dropped[static_cast<std::size_t>(Drop::kKernel)].fetch_add(
                dropped - kernel_seen, std::memory_order_relaxed);
            kernel_seen = dropped;
          }
        }
      total += msgs[static_cast<std::size_t>(i)].msg_len + 1;
    }
    lm.units.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    lm.bytes.fetch_add(total, std::memory_order_relaxed);
    pipeline::Chunk* c = producer.try_acquire(total);
    std::size_t at = 0;
    for (int i = 0; i < n; ++i) {
      const mmsghdr& mm = msgs[static_cast<std::size_t>(i)];
      const char* d = bufs.data() + static_cast<std::size_t>(i) * kMaxDatagram;
      std::size_t len = mm.msg_len;
      if (mm.msg_hdr.msg_flags & MSG_TRUNC) {
        lm.dropped[static_cast<std::size_t>(Drop::kTruncated)].fetch_add(1,
                                                                         std::memory_order_relaxed);
        continue;
      }
      if (!c) {
        // No room: UDP cannot push back. Count the alerts (lines) refused.
        for (std::size_t p = 0; p < len;) {
          const void* nl = std::memchr(d + p, '\n', len - p);
          const std::size_t e =
              nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - d) : len;
          if (e > p) ++lines;
          p = e + 1;
        }
        continue;
      }
      std::memcpy(c->data() + at, d, len);
      at += len;
      if (len == 0 || d[len - 1] != '\n') c->data()[at++] = '\n';
    }
    if (!c) {
      lm.dropped[static_cast<std::size_t>(Drop::kQueueFull)].fetch_add(lines,
                                                                       std::memory_order_relaxed);
      continue;
    }
    c->resize(at);
    count_submitted(lm, producer.submit(c));
  }
}

void Server::Impl::stop() {
  if (stopped) return;
  stopped = true;
  draining.store(true);
  // 1. No new connections.
  if (!ctx.empty())
    asio::post(*ctx[0], [this] {
      error_code ec;
      if (tcp_acceptor) tcp_acceptor->close(ec);
      if (http_acceptor) http_acceptor->close(ec);
    });
  // 2. Every connection finishes what it holds, then closes.
  std::vector<std::shared_ptr<Conn>> live;
  {
    std::lock_guard lock(conns_mu);
    for (auto& [p, w] : conns)
      if (auto c = w.lock()) live.push_back(std::move(c));
  }
  for (auto& c : live) asio::post(c->executor(), [c] { c->drain(); });
  live.clear();
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (live_conns() != 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // 3. Stop the loops and join.
  for (auto& g : guards) g.reset();
  for (auto& c : ctx) c->stop();
  for (auto& t : threads) t.join();
  threads.clear();
  // A flush posted but not run before the loops stopped: what was staged was accepted, so it goes
  // to the shards now (each producer's thread has ended).
  for (pipeline::Producer* p : io_producers) p->flush();
  for (int fd : udp_fds) ::close(fd);
  udp_fds.clear();
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() { stop(); }
void Server::stop() { impl_->stop(); }
const std::string& Server::http_address() const { return impl_->http_addr; }
const std::string& Server::tcp_address() const { return impl_->tcp_addr; }
const std::string& Server::udp_address() const { return impl_->udp_addr; }

core::Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options,
                                                    std::vector<pipeline::Producer*> producers,
                                                    Metrics& metrics, HttpHandler handler) {
  const unsigned io = std::max(1u, options.io_threads);
  const unsigned udp_n = options.udp.empty() ? 0u : std::max(1u, options.udp_receivers);
  if (producers.size() < io + udp_n)
    return core::make_error("server: needs " + std::to_string(io + udp_n) + " producers");
  auto impl = std::make_unique<Impl>(options, metrics, std::move(handler));
  Impl& s = *impl;
  for (unsigned i = 0; i < io; ++i) {
    s.ctx.push_back(std::make_unique<asio::io_context>(1));
    s.guards.emplace_back(asio::make_work_guard(*s.ctx.back()));
    s.io_producers.push_back(producers[i]);
    s.flush_posted.push_back(std::make_unique<bool>(false));
  }
  for (unsigned i = 0; i < udp_n; ++i) s.udp_producers.push_back(producers[io + i]);

  if (!options.tcp.empty()) {
    auto acc = listen_tcp(*s.ctx[0], options.tcp, "server.tcp", s.tcp_addr);
    if (!acc) return tl::unexpected(acc.error());
    s.tcp_acceptor = std::move(*acc);
  }
  if (!options.http.empty()) {
    auto acc = listen_tcp(*s.ctx[0], options.http, "server.http", s.http_addr);
    if (!acc) return tl::unexpected(acc.error());
    s.http_acceptor = std::move(*acc);
  }
  if (udp_n > 0) {
    auto hp = parse_address(options.udp, "server.udp");
    if (!hp) return tl::unexpected(hp.error());
    std::uint16_t port = hp->second;
    for (unsigned i = 0; i < udp_n; ++i) {
      std::string err;
      const int fd = open_udp(hp->first, port, options.udp_rcvbuf_bytes, err);
      if (fd < 0) {
        for (int f : s.udp_fds) ::close(f);
        s.udp_fds.clear();
        return core::make_error("server.udp: cannot listen on " + options.udp + ": " + err);
      }
      if (i == 0) {  // port 0: the others join the port the first one got
        sockaddr_in sa{};
        socklen_t len = sizeof sa;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
        port = ntohs(sa.sin_port);
        char host[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
        s.udp_addr = std::string(host) + ":" + std::to_string(port);
      }
      s.udp_fds.push_back(fd);
    }
  }

  if (s.tcp_acceptor) s.accept_tcp();
  if (s.http_acceptor) s.accept_http();
  for (auto& c : s.ctx) s.threads.emplace_back([ctx = c.get()] { ctx->run(); });
  for (unsigned i = 0; i < udp_n; ++i)
    s.threads.emplace_back([&s, i] { s.udp_loop(s.udp_fds[i], *s.udp_producers[i]); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

}  // namespace squall::net
