#include "tools/storm/send.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "engine/core/time.h"

namespace squall::storm {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t kReadBlockBytes = 1 << 20;    // file source reads
constexpr std::size_t kTcpBufferBytes = 256 << 10;  // TCP writes
constexpr int kSocketBufferBytes = 4 << 20;         // SO_SNDBUF (the kernel caps it)
constexpr std::size_t kUdpBatch = 64;               // datagrams per sendmmsg
constexpr std::size_t kStormQueued = 4;             // generated chunks waiting to be sent
constexpr milliseconds kConnectTimeout{5000};
constexpr milliseconds kResponseTimeout{30000};
constexpr milliseconds kMaxRetryAfter{5000};
constexpr milliseconds kPaceSlack{1};  // alerts may go this much early, to batch writes
constexpr std::uint32_t kMaxReconnects = 10;

std::string errno_text(int err) { return std::strerror(err); }

// backoff(0) = 50 ms, doubling, at most 2 s.
milliseconds backoff(std::uint32_t attempt) {
  return std::min(milliseconds(2000), milliseconds(50LL << std::min(attempt, 6u)));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);  // ASCII letters, digits and '-' only
         });
}

bool icontains(std::string_view hay, std::string_view needle) {
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// "1.2 M", "812 k", "950".
std::string human(double v) {
  static constexpr const char* kUnits[] = {"k", "M", "G"};
  if (v < 1000) return fmt::format("{:.0f}", v);
  int u = -1;
  while (v >= 1000 && u < 2) v /= 1000, ++u;
  return fmt::format("{:.{}f} {}", v, v < 10 ? 1 : 0, kUnits[u]);
}

// -- sockets ------------------------------------------------------------------------------------

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Address {
  sockaddr_storage storage{};
  socklen_t len = 0;
  int family = AF_INET;
};

core::Result<std::vector<Address>> resolve(const Endpoint& ep, int socktype, std::string_view url) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(ep.port);
  const int rc = ::getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0)
    return core::make_error(
        fmt::format("--send {}: cannot resolve '{}': {}", url, ep.host, ::gai_strerror(rc)));
  std::vector<Address> out;
  for (const addrinfo* ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    Address a;
    std::memcpy(&a.storage, ai->ai_addr, ai->ai_addrlen);
    a.len = ai->ai_addrlen;
    a.family = ai->ai_family;
    out.push_back(a);
  }
  ::freeaddrinfo(res);
  // Servers listen on 0.0.0.0 more often than on ::, and "localhost" often resolves to ::1 first.
  std::stable_partition(out.begin(), out.end(),
                        [](const Address& a) { return a.family == AF_INET; });
  if (out.empty())
    return core::make_error(fmt::format("--send {}: no address for '{}'", url, ep.host));
  return out;
}

// Setting SO_SNDBUF turns TCP's send-buffer autotuning (up to tcp_wmem's 4 MiB) off, and the
// kernel caps the value at net.core.wmem_max (208 KiB by default): set it only where it can be big.
bool wmem_max_allows_big_buffers() {
  static const bool allows = [] {
    std::FILE* f = std::fopen("/proc/sys/net/core/wmem_max", "r");
    if (!f) return false;
    long v = 0;
    const bool ok = std::fscanf(f, "%ld", &v) == 1;
    std::fclose(f);
    return ok && v >= kSocketBufferBytes;
  }();
  return allows;
}

// A connected socket of `socktype` to the first address that takes it.
core::Result<Fd> connect_to(const std::vector<Address>& addrs, int socktype) {
  std::string why = "no address";
  for (const Address& a : addrs) {
    Fd fd(::socket(a.family, socktype | SOCK_CLOEXEC, 0));
    if (!fd.is_open()) {
      why = errno_text(errno);
      continue;
    }
    if (socktype == SOCK_DGRAM || wmem_max_allows_big_buffers()) {
      const int sndbuf = kSocketBufferBytes;
      ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    }
    if (socktype == SOCK_DGRAM) {
      if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a.storage), a.len) == 0) return fd;
      why = errno_text(errno);
      continue;
    }
    // Non-blocking connect, so an unreachable host costs kConnectTimeout, not minutes.
    const int flags = ::fcntl(fd.get(), F_GETFL, 0);
    ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK);
    int err = 0;
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&a.storage), a.len) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{fd.get(), POLLOUT, 0};
        int r;
        do {
          r = ::poll(&p, 1, static_cast<int>(kConnectTimeout.count()));
        } while (r < 0 && errno == EINTR);
        if (r == 0) {
          err = ETIMEDOUT;
        } else {
          socklen_t len = sizeof err;
          if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        }
      }
    }
    if (err != 0) {
      why = errno_text(err);
      continue;
    }
    ::fcntl(fd.get(), F_SETFL, flags);
    return fd;
  }
  return core::make_error(why);
}

// -- counters shared by the sending threads -----------------------------------------------------

struct Counters {
  std::atomic<std::uint64_t> sent{0}, acked{0}, failed{0}, bytes{0}, messages{0}, retries{0};
  std::atomic<bool> stop{false};

  void note_failure(std::string why) {
    std::lock_guard lk(mu_);
    last_failure_ = std::move(why);
  }
  // Stops sending: the main loop reads no more alerts.
  void stop_with(std::string why) {
    std::lock_guard lk(mu_);
    if (error_.empty()) error_ = std::move(why);
    stop.store(true);
  }
  std::string last_failure() const {
    std::lock_guard lk(mu_);
    return last_failure_;
  }
  std::string error() const {
    std::lock_guard lk(mu_);
    return error_;
  }

 private:
  mutable std::mutex mu_;
  std::string last_failure_, error_;
};

// About once per second on stderr, from a thread of its own.
class Progress {
 public:
  Progress(const Counters& c, bool on) : c_(c) {
    if (on) thread_ = std::thread([this] { run(); });
  }
  ~Progress() { stop(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void stop() {
    {
      std::lock_guard lk(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    std::unique_lock lk(mu_);
    auto last = Clock::now();
    std::uint64_t last_sent = 0;
    while (!cv_.wait_for(lk, std::chrono::seconds(1), [this] { return done_; })) {
      const auto now = Clock::now();
      const std::uint64_t sent = c_.sent.load(std::memory_order_relaxed);
      const double secs = std::chrono::duration<double>(now - last).count();
      const double rate = secs > 0 ? static_cast<double>(sent - last_sent) / secs : 0.0;
      std::fprintf(stderr, "sent %s alerts, %s/s, acked %s, failed %llu\n",
                   human(static_cast<double>(sent)).c_str(), human(rate).c_str(),
                   human(static_cast<double>(c_.acked.load(std::memory_order_relaxed))).c_str(),
                   static_cast<unsigned long long>(c_.failed.load(std::memory_order_relaxed)));
      last = now;
      last_sent = sent;
    }
  }

  const Counters& c_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

// Calls f(line) for each line (with its '\n') of whole-line `lines`.
template <class F>
void for_each_line(std::string_view lines, F&& f) {
  const char* p = lines.data();
  const char* end = p + lines.size();
  while (p < end) {
    const auto* nl =
        static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* e = nl ? nl + 1 : end;
    f(std::string_view(p, static_cast<std::size_t>(e - p)));
    p = e;
  }
}

std::uint64_t count_newlines(std::string_view s) {
  return static_cast<std::uint64_t>(std::count(s.begin(), s.end(), '\n'));
}

// -- links: where the alerts go -----------------------------------------------------------------

// Used by the sending thread; appended lines go out in order (HTTP: in batches, possibly
// reordered across connections).
class Link {
 public:
  virtual ~Link() = default;
  virtual void append(std::string_view lines, std::uint64_t count) = 0;  // whole lines
  virtual void flush() = 0;   // send what is buffered (before pacing sleeps)
  virtual void finish() = 0;  // flush, close, settle acknowledgements
};

class TcpLink final : public Link {
 public:
  TcpLink(Counters& c, std::string url, std::vector<Address> addrs, Fd fd,
          milliseconds close_timeout)
      : c_(c),
        url_(std::move(url)),
        addrs_(std::move(addrs)),
        fd_(std::move(fd)),
        close_timeout_(close_timeout) {
    buf_.reserve(kTcpBufferBytes);
    c_.messages.fetch_add(1, std::memory_order_relaxed);
  }

  void append(std::string_view lines, std::uint64_t count) override {
    if (buf_.size() + lines.size() > kTcpBufferBytes) flush();
    if (lines.size() >= kTcpBufferBytes) {
      write_lines(lines, count);
    } else {
      buf_.append(lines);
      buf_lines_ += count;
    }
  }

  void flush() override {
    if (!buf_.empty()) write_lines(buf_, buf_lines_);
    buf_.clear();
    buf_lines_ = 0;
  }

  void finish() override {
    flush();
    if (fd_.is_open()) close_cleanly();
  }

  ~TcpLink() override {
    // Lines written but never settled (finish() not reached) are not acknowledged.
    if (conn_lines_ > 0) c_.failed.fetch_add(conn_lines_, std::memory_order_relaxed);
  }

 private:
  void write_lines(std::string_view data, std::uint64_t count) {
    if (!fd_.is_open()) return;  // stopped
    c_.sent.fetch_add(count, std::memory_order_relaxed);
    std::size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::send(fd_.get(), data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n > 0) {
        off += static_cast<std::size_t>(n);
        c_.bytes.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      const std::string why = fmt::format("{}: {}", url_, errno_text(n < 0 ? errno : EPIPE));
      // Lines completed on the lost connection are lost with it; the line cut short and those
      // after it go again on a new one.
      const void* last = off > 0 ? ::memrchr(data.data(), '\n', off) : nullptr;
      const std::size_t resume =
          last ? static_cast<std::size_t>(static_cast<const char*>(last) - data.data()) + 1 : 0;
      const std::uint64_t done = count_newlines(data.substr(0, resume));
      c_.failed.fetch_add(conn_lines_ + done, std::memory_order_relaxed);
      c_.note_failure(why);
      conn_lines_ = 0;
      count -= done;
      data.remove_prefix(resume);
      off = 0;
      fd_.reset();
      if (!reconnect(why)) {
        c_.failed.fetch_add(count, std::memory_order_relaxed);
        return;
      }
    }
    conn_lines_ += count;
  }

  bool reconnect(const std::string& why) {
    std::string last = why;
    for (std::uint32_t attempt = 0; attempt < kMaxReconnects; ++attempt) {
      std::this_thread::sleep_for(backoff(attempt));
      auto fd = connect_to(addrs_, SOCK_STREAM);
      if (fd) {
        fd_ = std::move(*fd);
        c_.retries.fetch_add(1, std::memory_order_relaxed);
        c_.messages.fetch_add(1, std::memory_order_relaxed);
        return true;
      }
      last = fd.error().message;
    }
    c_.stop_with(fmt::format("lost the connection to {} and could not reconnect: {}", url_, last));
    return false;
  }

  // shutdown(SHUT_WR), then wait for the peer to close (all read) or, at the timeout, for the send
  // queue to have drained (all acked by the peer's TCP).
  void close_cleanly() {
    std::string why;
    bool clean = false;
    if (::shutdown(fd_.get(), SHUT_WR) != 0) {
      why = errno_text(errno);
    } else {
      const auto deadline = Clock::now() + close_timeout_;
      char scratch[4096];
      while (true) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
          int queued = 0;
          if (::ioctl(fd_.get(), SIOCOUTQ, &queued) == 0 && queued == 0) {
            clean = true;
          } else {
            why = fmt::format("{} bytes not acknowledged by the peer", queued);
          }
          break;
        }
        pollfd p{fd_.get(), POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r <= 0) continue;  // EINTR or the timeout: the loop decides
        const ssize_t n = ::recv(fd_.get(), scratch, sizeof scratch, 0);
        if (n > 0 || (n < 0 && errno == EINTR)) continue;  // whatever the peer says, ignored
        if (n == 0) {
          clean = true;
        } else {
          why = errno_text(errno);
        }
        break;
      }
    }
    if (clean) {
      c_.acked.fetch_add(conn_lines_, std::memory_order_relaxed);
    } else {
      c_.failed.fetch_add(conn_lines_, std::memory_order_relaxed);
      c_.note_failure(fmt::format("{}: closing: {}", url_, why));
    }
    conn_lines_ = 0;
    fd_.reset();
  }

  Counters& c_;
  std::string url_;
  std::vector<Address> addrs_;
  Fd fd_;
  milliseconds close_timeout_;
  std::string buf_;
  std::uint64_t buf_lines_ = 0;
  std::uint64_t conn_lines_ = 0;  // lines fully written on the current connection
};

class UdpLink final : public Link {
 public:
  UdpLink(Counters& c, std::string url, Fd fd) : c_(c), url_(std::move(url)), fd_(std::move(fd)) {
    arena_.reserve(kUdpBatch * kMaxDatagramBytes);
    dgrams_.reserve(kUdpBatch);
  }

  void append(std::string_view lines, std::uint64_t) override {
    for_each_line(lines, [this](std::string_view line) { add(line); });
  }

  void flush() override {
    if (dgrams_.empty()) return;
    std::uint64_t lines = 0;
    for (const Dgram& d : dgrams_) lines += d.lines;
    c_.sent.fetch_add(lines, std::memory_order_relaxed);
    const std::size_t n = dgrams_.size();
    iov_.resize(n);
    msgs_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      iov_[i].iov_base = arena_.data() + dgrams_[i].offset;
      iov_[i].iov_len = dgrams_[i].len;
      msgs_[i] = mmsghdr{};
      msgs_[i].msg_hdr.msg_iov = &iov_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
    std::size_t i = 0;
    int soft = 0;
    while (i < n) {
      const int r = ::sendmmsg(fd_.get(), msgs_.data() + i, static_cast<unsigned>(n - i), 0);
      if (r > 0) {
        for (std::size_t j = i; j < i + static_cast<std::size_t>(r); ++j) {
          c_.acked.fetch_add(dgrams_[j].lines, std::memory_order_relaxed);
          c_.bytes.fetch_add(dgrams_[j].len, std::memory_order_relaxed);
        }
        c_.messages.fetch_add(static_cast<std::uint64_t>(r), std::memory_order_relaxed);
        i += static_cast<std::size_t>(r);
        soft = 0;
        continue;
      }
      const int err = r < 0 ? errno : EIO;
      if (err == EINTR) continue;
      if ((err == EAGAIN || err == ENOBUFS) && soft++ < 100) {
        std::this_thread::sleep_for(milliseconds(1));
        continue;
      }
      // This datagram is lost (ECONNREFUSED: an earlier one met no listener).
      c_.failed.fetch_add(dgrams_[i].lines, std::memory_order_relaxed);
      c_.note_failure(fmt::format("{}: {}", url_, errno_text(err)));
      ++i;
      soft = 0;
    }
    arena_.clear();
    dgrams_.clear();
  }

  void finish() override {
    flush();
    fd_.reset();
  }

 private:
  struct Dgram {
    std::size_t offset = 0;
    std::size_t len = 0;
    std::uint64_t lines = 0;
  };

  void add(std::string_view line) {
    if (line.size() > kMaxDatagramBytes) {
      c_.sent.fetch_add(1, std::memory_order_relaxed);
      c_.failed.fetch_add(1, std::memory_order_relaxed);
      c_.note_failure(fmt::format("{}: a line of {} bytes does not fit a datagram (max {})", url_,
                                  line.size(), kMaxDatagramBytes));
      return;
    }
    if (dgrams_.empty() || dgrams_.back().len + line.size() > kMaxDatagramBytes) {
      if (dgrams_.size() == kUdpBatch) flush();
      dgrams_.push_back({arena_.size(), 0, 0});
    }
    arena_.append(line);
    dgrams_.back().len += line.size();
    ++dgrams_.back().lines;
  }

  Counters& c_;
  std::string url_;
  Fd fd_;
  std::string arena_;  // the datagrams' bytes, back to back
  std::vector<Dgram> dgrams_;
  std::vector<iovec> iov_;
  std::vector<mmsghdr> msgs_;
};

// -- HTTP ---------------------------------------------------------------------------------------

struct HttpResponse {
  int status = 0;
  std::optional<double> retry_after_s;
  bool close = false;      // the server closes the connection after this response
  std::string body_start;  // the first bytes of the body, for failure messages
};

// One keep-alive HTTP/1.1 connection. Used by one thread.
class HttpConn {
 public:
  bool is_open() const { return fd_.is_open(); }
  void close() {
    fd_.reset();
    in_.clear();
    pos_ = 0;
  }

  core::Result<void> open(const std::vector<Address>& addrs) {
    close();
    auto fd = connect_to(addrs, SOCK_STREAM);
    if (!fd) return tl::unexpected(fd.error());
    fd_ = std::move(*fd);
    const timeval tv{static_cast<time_t>(kResponseTimeout.count() / 1000), 0};
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return {};
  }

  core::Result<HttpResponse> post(std::string_view head, std::string_view body) {
    if (auto w = write_all(head, body); !w) return tl::unexpected(w.error());
    while (true) {
      auto r = read_response();
      if (!r || r->status >= 200) return r;  // 1xx: an interim response, the real one follows
    }
  }

 private:
  core::Result<void> write_all(std::string_view head, std::string_view body) {
    iovec iov[2] = {{const_cast<char*>(head.data()), head.size()},
                    {const_cast<char*>(body.data()), body.size()}};
    std::size_t first = 0;
    while (first < 2) {
      msghdr m{};
      m.msg_iov = iov + first;
      m.msg_iovlen = 2 - first;
      const ssize_t n = ::sendmsg(fd_.get(), &m, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return core::make_error(fmt::format("sending: {}", errno_text(errno)));
      }
      auto left = static_cast<std::size_t>(n);
      while (first < 2 && left >= iov[first].iov_len) left -= iov[first++].iov_len;
      if (first < 2) {
        iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
        iov[first].iov_len -= left;
      }
    }
    return {};
  }

  // Reads more bytes into in_; false at the end of the stream.
  core::Result<bool> fill() {
    if (pos_ > 0 && pos_ == in_.size()) {
      in_.clear();
      pos_ = 0;
    }
    const std::size_t old = in_.size();
    in_.resize(old + 16384);
    while (true) {
      const ssize_t n = ::recv(fd_.get(), in_.data() + old, 16384, 0);
      if (n >= 0) {
        in_.resize(old + static_cast<std::size_t>(n));
        return n > 0;
      }
      if (errno == EINTR) continue;
      const int err = errno;
      in_.resize(old);
      if (err == EAGAIN || err == EWOULDBLOCK)
        return core::make_error("timed out waiting for the response");
      return core::make_error(fmt::format("reading the response: {}", errno_text(err)));
    }
  }

  core::Result<void> need(std::size_t n) {
    while (in_.size() - pos_ < n) {
      auto r = fill();
      if (!r) return tl::unexpected(r.error());
      if (!*r) return core::make_error("connection closed in the middle of a response");
    }
    return {};
  }

  core::Result<std::string_view> line() {  // up to CRLF, which is consumed
    std::size_t e;
    while ((e = in_.find("\r\n", pos_)) == std::string::npos) {
      if (in_.size() - pos_ > 65536) return core::make_error("response line too long");
      auto r = fill();
      if (!r) return tl::unexpected(r.error());
      if (!*r) return core::make_error("connection closed in the middle of a response");
    }
    const std::string_view l(in_.data() + pos_, e - pos_);
    pos_ = e + 2;
    return l;
  }

  void take_body(std::size_t n, HttpResponse& r) {
    if (r.body_start.size() < 200)
      r.body_start.append(in_.data() + pos_, std::min(n, 200 - r.body_start.size()));
    pos_ += n;
  }

  core::Result<HttpResponse> read_response() {
    HttpResponse r;
    std::size_t e;
    while ((e = in_.find("\r\n\r\n", pos_)) == std::string::npos) {
      if (in_.size() - pos_ > 65536) return core::make_error("response headers too large");
      auto f = fill();
      if (!f) return tl::unexpected(f.error());
      if (!*f)
        return core::make_error(pos_ == in_.size()
                                    ? "connection closed by the server"
                                    : "connection closed in the middle of a response");
    }
    const std::string head(in_.data() + pos_, e - pos_);
    pos_ = e + 4;
    std::string_view h(head);
    const std::size_t first_end = std::min(h.find("\r\n"), h.size());
    const std::string_view status_line = h.substr(0, first_end);
    if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
        std::from_chars(status_line.data() + 9, status_line.data() + 12, r.status).ec !=
            std::errc())
      return core::make_error(fmt::format("not an HTTP response: '{}'", status_line.substr(0, 60)));
    bool keep_alive = status_line[7] != '0';
    std::optional<std::uint64_t> length;
    bool chunked = false;
    h.remove_prefix(std::min(first_end + 2, h.size()));
    while (!h.empty()) {
      const std::size_t le = std::min(h.find("\r\n"), h.size());
      const std::string_view l = h.substr(0, le);
      h.remove_prefix(std::min(le + 2, h.size()));
      const std::size_t colon = l.find(':');
      if (colon == std::string_view::npos) continue;
      const std::string_view name = trim(l.substr(0, colon));
      const std::string_view value = trim(l.substr(colon + 1));
      if (iequals(name, "content-length")) {
        std::uint64_t n = 0;
        if (std::from_chars(value.data(), value.data() + value.size(), n).ec != std::errc())
          return core::make_error("bad Content-Length in the response");
        length = n;
      } else if (iequals(name, "transfer-encoding")) {
        chunked = icontains(value, "chunked");
      } else if (iequals(name, "connection")) {
        if (icontains(value, "close")) keep_alive = false;
        if (icontains(value, "keep-alive")) keep_alive = true;
      } else if (iequals(name, "retry-after")) {
        double s = 0;
        if (std::from_chars(value.data(), value.data() + value.size(), s).ec == std::errc() &&
            s >= 0 && std::isfinite(s))
          r.retry_after_s = s;
      }
    }
    r.close = !keep_alive;
    if (r.status < 200 || r.status == 204 || r.status == 304) return r;
    if (chunked) {
      while (true) {
        auto l = line();
        if (!l) return tl::unexpected(l.error());
        std::size_t n = 0;
        const auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), n, 16);
        if (ec != std::errc() || p == l->data())
          return core::make_error("bad chunk in the response");
        if (n == 0) {  // trailers, then an empty line
          while (true) {
            auto t = line();
            if (!t) return tl::unexpected(t.error());
            if (t->empty()) return r;
          }
        }
        if (auto ok = need(n + 2); !ok) return tl::unexpected(ok.error());
        take_body(n, r);
        pos_ += 2;
      }
    }
    if (length) {
      if (auto ok = need(*length); !ok) return tl::unexpected(ok.error());
      take_body(*length, r);
      return r;
    }
    // Neither: the body runs to the end of the connection.
    while (true) {
      take_body(in_.size() - pos_, r);
      auto f = fill();
      if (!f) return tl::unexpected(f.error());
      if (!*f) break;
    }
    r.close = true;
    return r;
  }

  Fd fd_;
  std::string in_;
  std::size_t pos_ = 0;
};

struct Batch {
  std::string body;
  std::uint64_t count = 0;
};

// Bounded and blocking; one producer, many consumers. Also keeps spare bodies for reuse.
class BatchQueue {
 public:
  explicit BatchQueue(std::size_t capacity) : capacity_(capacity) {}

  void push(Batch&& b) {
    std::unique_lock lk(mu_);
    not_full_.wait(lk, [this] { return q_.size() < capacity_; });
    q_.push_back(std::move(b));
    not_empty_.notify_one();
  }
  // False once closed and drained.
  bool pop(Batch& b) {
    std::unique_lock lk(mu_);
    not_empty_.wait(lk, [this] { return !q_.empty() || closed_; });
    if (q_.empty()) return false;
    b = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void close() {
    std::lock_guard lk(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }
  void recycle(std::string body) {
    body.clear();
    std::lock_guard lk(mu_);
    if (spare_.size() < 2 * capacity_) spare_.push_back(std::move(body));
  }
  std::string spare() {
    std::lock_guard lk(mu_);
    if (spare_.empty()) return {};
    std::string s = std::move(spare_.back());
    spare_.pop_back();
    return s;
  }

 private:
  const std::size_t capacity_;
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Batch> q_;
  std::vector<std::string> spare_;
  bool closed_ = false;
};

class HttpLink final : public Link {
 public:
  HttpLink(Counters& c, const Endpoint& ep, std::string url, std::vector<Address> addrs,
           std::vector<HttpConn> conns, const SendOptions& o)
      : c_(c),
        url_(std::move(url)),
        addrs_(std::move(addrs)),
        batch_(o.batch),
        max_retries_(o.max_retries),
        conns_(std::move(conns)),
        queue_(2 * conns_.size()) {
    const bool v6 = ep.host.find(':') != std::string::npos;
    head_prefix_ = fmt::format(
        "POST {} HTTP/1.1\r\nHost: {}{}{}:{}\r\nUser-Agent: squall-storm\r\n"
        "Content-Type: application/x-ndjson\r\nContent-Length: ",
        ep.path, v6 ? "[" : "", ep.host, v6 ? "]" : "", ep.port);
    for (std::size_t i = 0; i < conns_.size(); ++i)
      workers_.emplace_back([this, i] { work(conns_[i]); });
  }

  ~HttpLink() override { join(); }

  void append(std::string_view lines, std::uint64_t) override {
    for_each_line(lines, [this](std::string_view line) {
      if (cur_.count == 0) cur_.body = queue_.spare();
      cur_.body.append(line);
      if (++cur_.count >= batch_) flush();
    });
  }

  void flush() override {
    if (cur_.count == 0) return;
    c_.sent.fetch_add(cur_.count, std::memory_order_relaxed);
    queue_.push(std::move(cur_));
    cur_ = Batch{};
  }

  void finish() override {
    flush();
    join();
  }

 private:
  void join() {
    queue_.close();
    for (std::thread& t : workers_)
      if (t.joinable()) t.join();
  }

  void work(HttpConn& conn) {
    Batch b;
    std::string head;
    while (queue_.pop(b)) {
      if (c_.stop.load()) {
        c_.failed.fetch_add(b.count, std::memory_order_relaxed);
      } else {
        head.assign(head_prefix_);
        fmt::format_to(std::back_inserter(head), "{}\r\n\r\n", b.body.size());
        deliver(conn, head, b);
      }
      queue_.recycle(std::move(b.body));
      b = Batch{};
    }
    conn.close();
  }

  void fail(const Batch& b, std::string why) {
    c_.failed.fetch_add(b.count, std::memory_order_relaxed);
    c_.note_failure(std::move(why));
  }

  void deliver(HttpConn& conn, const std::string& head, const Batch& b) {
    for (std::uint32_t attempt = 0;; ++attempt) {
      if (attempt > 0) c_.retries.fetch_add(1, std::memory_order_relaxed);
      std::string why;
      std::optional<milliseconds> wait;
      bool unreachable = false;
      if (!conn.is_open()) {
        if (auto r = conn.open(addrs_); !r) {
          why = fmt::format("{}: connecting: {}", url_, r.error().message);
          unreachable = true;
        }
      }
      if (conn.is_open()) {
        c_.messages.fetch_add(1, std::memory_order_relaxed);
        c_.bytes.fetch_add(b.body.size(), std::memory_order_relaxed);
        auto r = conn.post(head, b.body);
        if (!r) {
          conn.close();
          why = fmt::format("{}: {}", url_, r.error().message);
        } else {
          if (r->close) conn.close();
          if (r->status >= 200 && r->status < 300) {
            c_.acked.fetch_add(b.count, std::memory_order_relaxed);
            return;
          }
          why = fmt::format("{}: HTTP {}{}{}", url_, r->status, r->body_start.empty() ? "" : ": ",
                            trim(r->body_start));
          if (r->status != 429 && r->status < 500) return fail(b, std::move(why));
          if (r->retry_after_s)
            wait = std::min(kMaxRetryAfter, milliseconds(static_cast<std::int64_t>(
                                                std::min(*r->retry_after_s, 3600.0) * 1000)));
        }
      }
      if (attempt >= max_retries_ || c_.stop.load()) {
        if (unreachable) c_.stop_with(why);
        return fail(b, fmt::format("{} (gave up after {} attempts)", why, attempt + 1));
      }
      std::this_thread::sleep_for(wait.value_or(backoff(attempt)));
    }
  }

  Counters& c_;
  std::string url_;
  std::vector<Address> addrs_;
  std::uint32_t batch_;
  std::uint32_t max_retries_;
  std::string head_prefix_;
  std::vector<HttpConn> conns_;  // one per worker, sized before the workers start
  BatchQueue queue_;
  Batch cur_;  // being filled by the sending thread
  std::vector<std::thread> workers_;
};

core::Result<std::unique_ptr<Link>> open_link(const Endpoint& ep, const SendOptions& o,
                                              Counters& c) {
  const int socktype = ep.transport == Transport::kUdp ? SOCK_DGRAM : SOCK_STREAM;
  auto addrs = resolve(ep, socktype, o.url);
  if (!addrs) return tl::unexpected(addrs.error());
  auto cannot = [&](const std::string& why) {
    return core::make_error(fmt::format("--send {}: cannot connect: {}", o.url, why));
  };
  switch (ep.transport) {
    case Transport::kTcp: {
      auto fd = connect_to(*addrs, SOCK_STREAM);
      if (!fd) return cannot(fd.error().message);
      return std::make_unique<TcpLink>(c, o.url, std::move(*addrs), std::move(*fd),
                                       o.close_timeout);
    }
    case Transport::kUdp: {
      auto fd = connect_to(*addrs, SOCK_DGRAM);
      if (!fd) return cannot(fd.error().message);
      return std::make_unique<UdpLink>(c, o.url, std::move(*fd));
    }
    case Transport::kHttp: {
      std::vector<HttpConn> conns(o.connections);
      for (HttpConn& conn : conns)
        if (auto r = conn.open(*addrs); !r) return cannot(r.error().message);
      return std::make_unique<HttpLink>(c, ep, o.url, std::move(*addrs), std::move(conns), o);
    }
  }
  return core::make_error("--send: unknown transport");
}

// -- event time ----------------------------------------------------------------------------------

std::size_t skip_ws(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
  return i;
}

// s[i] == '"': the index after the closing quote, or npos.
std::size_t skip_string(std::string_view s, std::size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

std::size_t skip_value(std::string_view s, std::size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      const char ch = s[i];
      if (ch == '"') {
        i = skip_string(s, i);
        if (i == std::string_view::npos) return i;
        continue;
      }
      if (ch == '{' || ch == '[') ++depth;
      if (ch == '}' || ch == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return std::string_view::npos;
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' &&
         s[i] != '\r' && s[i] != '\n')
    ++i;
  return i;
}

struct TsField {
  std::size_t begin = 0, end = 0;  // the value's bytes in the line, quotes included
  std::int64_t ms = 0;
};

std::optional<std::int64_t> time_value(std::string_view v) {
  if (v.empty()) return std::nullopt;
  if (v.front() == '"') {
    if (v.size() < 2) return std::nullopt;
    return core::parse_rfc3339_ms(v.substr(1, v.size() - 2));
  }
  std::int64_t ms = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
  if (ec == std::errc() && p == v.data() + v.size()) return ms;
  double d = 0;
  auto [p2, ec2] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec2 == std::errc() && p2 == v.data() + v.size() && std::isfinite(d) && std::fabs(d) < 9e15)
    return static_cast<std::int64_t>(std::llround(d));
  return std::nullopt;
}

// The top-level `ts` of a native alert line, else its alias `startsAt`.
std::optional<TsField> find_ts(std::string_view line) {
  std::size_t i = skip_ws(line, 0);
  if (i >= line.size() || line[i] != '{') return std::nullopt;
  ++i;
  std::optional<TsField> starts_at;
  while (true) {
    i = skip_ws(line, i);
    if (i >= line.size() || line[i] == '}') break;
    if (line[i] == ',') {
      ++i;
      continue;
    }
    if (line[i] != '"') return std::nullopt;
    const std::size_t kend = skip_string(line, i);
    if (kend == std::string_view::npos) return std::nullopt;
    const std::string_view key = line.substr(i + 1, kend - i - 2);
    i = skip_ws(line, kend);
    if (i >= line.size() || line[i] != ':') return std::nullopt;
    const std::size_t vbegin = skip_ws(line, i + 1);
    const std::size_t vend = skip_value(line, vbegin);
    if (vend == std::string_view::npos) return std::nullopt;
    if (key == "ts" || (key == "startsAt" && !starts_at)) {
      if (auto ms = time_value(line.substr(vbegin, vend - vbegin))) {
        const TsField f{vbegin, vend, *ms};
        if (key == "ts") return f;
        starts_at = f;
      }
    }
    i = vend;
  }
  return starts_at;
}

// -- sources -------------------------------------------------------------------------------------

bool is_blank(const char* p) {  // the line at p, up to its '\n'
  for (; *p != '\n'; ++p)
    if (*p != ' ' && *p != '\t' && *p != '\r') return false;
  return true;
}

// Drops the blank lines of buf[0, end), which ends in '\n'. Returns the new end and the line count.
std::pair<std::size_t, std::uint64_t> compact_lines(char* buf, std::size_t end) {
  std::size_t r = 0, w = 0;
  std::uint64_t n = 0;
  while (r < end) {
    const auto* nl = static_cast<const char*>(std::memchr(buf + r, '\n', end - r));
    const std::size_t e = static_cast<std::size_t>(nl - buf) + 1;
    if (!is_blank(buf + r)) {
      if (w != r) std::memmove(buf + w, buf + r, e - r);
      w += e - r;
      ++n;
    }
    r = e;
  }
  return {w, n};
}

class FileSource final : public AlertSource {
 public:
  FileSource(Fd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {
    buf_.resize(kReadBlockBytes);
  }

  core::Result<AlertChunk> next() override {
    while (true) {
      if (consumed_ > 0) {
        std::memmove(buf_.data(), buf_.data() + consumed_, len_ - consumed_);
        len_ -= consumed_;
        consumed_ = 0;
      }
      if (eof_) {
        if (len_ == 0) return AlertChunk{};
        if (buf_[len_ - 1] != '\n') {
          if (len_ == buf_.size()) buf_.resize(buf_.size() + 1);
          buf_[len_++] = '\n';
        }
      } else {
        if (len_ == buf_.size()) buf_.resize(buf_.size() * 2);  // a line longer than the buffer
        const ssize_t n = ::read(fd_.get(), buf_.data() + len_, buf_.size() - len_);
        if (n < 0) {
          if (errno == EINTR) continue;
          return core::make_error(fmt::format("reading {}: {}", path_, errno_text(errno)));
        }
        if (n == 0) {
          eof_ = true;
          continue;
        }
        len_ += static_cast<std::size_t>(n);
      }
      const void* last = ::memrchr(buf_.data(), '\n', len_);
      if (!last) continue;
      const std::size_t end =
          static_cast<std::size_t>(static_cast<const char*>(last) - buf_.data()) + 1;
      const auto [w, count] = compact_lines(buf_.data(), end);
      consumed_ = end;
      if (count > 0) return AlertChunk{std::string_view(buf_.data(), w), count};
    }
  }

 private:
  Fd fd_;
  std::string path_;
  std::string buf_;
  std::size_t len_ = 0;       // valid bytes in buf_
  std::size_t consumed_ = 0;  // handed out by the last next()
  bool eof_ = false;
};

class MemorySource final : public AlertSource {
 public:
  explicit MemorySource(std::string s) : s_(std::move(s)) {
    if (!s_.empty() && s_.back() != '\n') s_.push_back('\n');
    const auto [w, n] = compact_lines(s_.data(), s_.size());
    s_.resize(w);
    count_ = n;
  }
  core::Result<AlertChunk> next() override {
    if (done_ || count_ == 0) return AlertChunk{};
    done_ = true;
    return AlertChunk{s_, count_};
  }

 private:
  std::string s_;
  std::uint64_t count_ = 0;
  bool done_ = false;
};

}  // namespace

// -- public --------------------------------------------------------------------------------------

core::Result<Endpoint> parse_send_url(std::string_view url) {
  auto bad = [url](std::string_view why) {
    return core::make_error(fmt::format(
        "--send: {} in '{}' (expected tcp://HOST:PORT, udp://HOST:PORT or http://HOST:PORT)", why,
        url));
  };
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return bad("no scheme");
  Endpoint ep;
  const std::string_view scheme = url.substr(0, sep);
  if (iequals(scheme, "tcp")) {
    ep.transport = Transport::kTcp;
  } else if (iequals(scheme, "udp")) {
    ep.transport = Transport::kUdp;
  } else if (iequals(scheme, "http")) {
    ep.transport = Transport::kHttp;
  } else {
    return bad(fmt::format("unsupported scheme '{}'", scheme));
  }
  std::string_view rest = url.substr(sep + 3);
  const std::size_t slash = rest.find('/');
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  std::string_view authority = rest.substr(0, slash);
  if (authority.find('@') != std::string_view::npos) return bad("user info");
  if (ep.transport != Transport::kHttp && !path.empty() && path != "/") return bad("a path");
  ep.path = path.empty() || path == "/" ? "/api/v1/alerts" : std::string(path);
  std::string_view host, port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("an unclosed '['");
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return bad("junk after ']'");
    if (!after.empty()) port = after.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos)
      return bad("an IPv6 address without [brackets]");
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (host.empty()) return bad("no host");
  if (port.empty()) return bad("no port");
  unsigned p = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535)
    return bad(fmt::format("bad port '{}'", port));
  ep.host = std::string(host);
  ep.port = static_cast<std::uint16_t>(p);
  return ep;
}

core::Result<std::unique_ptr<AlertSource>> open_file_source(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.is_open())
    return core::make_error(fmt::format("cannot open {}: {}", path, errno_text(errno)));
  return std::unique_ptr<AlertSource>(std::make_unique<FileSource>(std::move(fd), path));
}

std::unique_ptr<AlertSource> memory_source(std::string ndjson) {
  return std::make_unique<MemorySource>(std::move(ndjson));
}

struct StormSource::State {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<std::string, std::uint64_t>> queue;
  std::vector<std::string> spare;
  std::string current;  // handed out by the last next()
  bool done = false;
  bool cancel = false;
  core::Result<StormSummary> summary = core::make_error("the storm has not finished");
  std::thread thread;
};

StormSource::StormSource(StormOptions options) : s_(std::make_unique<State>()) {
  State* s = s_.get();
  options.alert_sink = [s](std::string_view lines, std::uint64_t count) {
    std::string buf;
    {
      std::unique_lock lk(s->mu);
      s->cv.wait(lk, [s] { return s->queue.size() < kStormQueued || s->cancel; });
      if (s->cancel) return false;
      if (!s->spare.empty()) {
        buf = std::move(s->spare.back());
        s->spare.pop_back();
      }
    }
    buf.assign(lines);
    std::lock_guard lk(s->mu);
    s->queue.emplace_back(std::move(buf), count);
    s->cv.notify_all();
    return true;
  };
  s->thread = std::thread([s, o = std::move(options)] {
    auto r = generate_storm(o);
    std::lock_guard lk(s->mu);
    s->summary = std::move(r);
    s->done = true;
    s->cv.notify_all();
  });
}

StormSource::~StormSource() {
  {
    std::lock_guard lk(s_->mu);
    s_->cancel = true;
  }
  s_->cv.notify_all();
  if (s_->thread.joinable()) s_->thread.join();
}

core::Result<AlertChunk> StormSource::next() {
  std::unique_lock lk(s_->mu);
  if (!s_->current.empty()) {
    s_->spare.push_back(std::move(s_->current));
    s_->current = std::string();
  }
  s_->cv.wait(lk, [this] { return !s_->queue.empty() || s_->done; });
  if (!s_->queue.empty()) {
    s_->current = std::move(s_->queue.front().first);
    const std::uint64_t count = s_->queue.front().second;
    s_->queue.pop_front();
    s_->cv.notify_all();
    return AlertChunk{s_->current, count};
  }
  if (!s_->summary) return core::make_error("storm: " + s_->summary.error().message);
  return AlertChunk{};
}

const core::Result<StormSummary>& StormSource::summary() const { return s_->summary; }

core::Result<SendReport> send_alerts(const SendOptions& o, AlertSource& source) {
  auto ep = parse_send_url(o.url);
  if (!ep) return tl::unexpected(ep.error());
  if (!(o.rate >= 0) || !std::isfinite(o.rate)) return core::make_error("--rate: must be >= 0");
  if (!(o.speedup >= 0) || !std::isfinite(o.speedup))
    return core::make_error("--speedup: must be >= 0");
  if (o.batch == 0) return core::make_error("--batch: must be >= 1");
  if (o.connections == 0) return core::make_error("--connections: must be >= 1");

  Counters c;
  auto link = open_link(*ep, o, c);
  if (!link) return tl::unexpected(link.error());
  Progress progress(c, o.progress);
  SendReport report;
  const auto start = Clock::now();
  const std::int64_t restamp_base = core::wall_clock_ms();
  const bool paced = o.rate > 0 || o.speedup > 0;
  const bool need_ts = o.speedup > 0 || o.restamp;
  const double stretch = o.speedup > 0 ? 1.0 / o.speedup : 1.0;  // event time -> wall time
  std::optional<std::int64_t> t0;
  double next_rate_s = 0;  // the earliest the next alert may go, by --rate, since start
  auto now = start;
  std::string scratch;

  while (!c.stop.load(std::memory_order_relaxed)) {
    auto chunk = source.next();
    if (!chunk) {
      report.error = chunk.error().message;
      break;
    }
    if (chunk->lines.empty()) break;
    if (!paced && !o.restamp) {  // the fast path: whole chunks
      (*link)->append(chunk->lines, chunk->count);
      continue;
    }
    for_each_line(chunk->lines, [&](std::string_view line) {
      if (c.stop.load(std::memory_order_relaxed)) return;
      std::optional<TsField> ts;
      if (need_ts) {
        ts = find_ts(line);
        if (ts && !t0) t0 = ts->ms;
      }
      if (paced) {
        double at = o.rate > 0 ? next_rate_s : 0.0;
        if (o.speedup > 0 && ts)
          at = std::max(at, static_cast<double>(ts->ms - *t0) / 1000.0 * stretch);
        if (o.rate > 0) next_rate_s = at + 1.0 / o.rate;
        const auto target =
            start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(at));
        if (target > now + kPaceSlack) {
          now = Clock::now();
          if (target > now + kPaceSlack) {
            (*link)->flush();
            std::this_thread::sleep_until(target);
            now = Clock::now();
          }
        }
      }
      if (o.restamp && ts) {
        const auto shifted =
            static_cast<std::int64_t>(std::llround(static_cast<double>(ts->ms - *t0) * stretch));
        scratch.assign(line.substr(0, ts->begin));
        fmt::format_to(std::back_inserter(scratch), "{}", restamp_base + shifted);
        scratch.append(line.substr(ts->end));
        (*link)->append(scratch, 1);
      } else {
        (*link)->append(line, 1);
      }
    });
  }
  (*link)->finish();
  link->reset();
  progress.stop();

  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report.sent = c.sent.load();
  report.acknowledged = c.acked.load();
  report.failed = c.failed.load();
  report.bytes = c.bytes.load();
  report.messages = c.messages.load();
  report.retries = c.retries.load();
  report.last_failure = c.last_failure();
  if (report.error.empty()) report.error = c.error();
  return report;
}

std::string report_line(const SendReport& r) {
  const double rate = r.seconds > 0 ? static_cast<double>(r.sent) / r.seconds : 0.0;
  return fmt::format("sent {}, acknowledged {}, failed {} in {:.2f} s ({:.0f} alerts/s)", r.sent,
                     r.acknowledged, r.failed, r.seconds, rate);
}

int exit_code(const SendReport& r) { return r.failed == 0 && r.error.empty() ? 0 : 1; }

}  // namespace squall::storm
