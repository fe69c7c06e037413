#include "tools/serve/draft_pool.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <poll.h>
#include <simdjson.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/core/json_writer.h"
#include "engine/core/time.h"
#include "io/net/stream_address.h"

namespace squall::serve {
namespace {

using Clock = std::chrono::steady_clock;

struct Item {
  std::string incident;
  std::uint64_t version = 0;
  std::string json;
  bool redelivery = false;
};

struct Delivery {
  Item item;
  int fd = -1;  // the worker holding it
  Clock::time_point deadline;
};

struct Worker {
  int fd = -1;
  std::string in;   // bytes read, not yet a whole line
  std::string out;  // bytes to write
  std::uint32_t credits = 0;
  std::int64_t pid = 0;
  std::string drafter;
};

// Reads an optional field; `out` keeps its value when the field is missing or of another type.
template <class T>
void read_optional(simdjson::dom::element obj, std::string_view key, T& out) {
  T v{};
  if (obj[key].get(v) == simdjson::SUCCESS) out = v;
}

}  // namespace

struct DraftPool::Impl {
  DraftPoolOptions opt;
  store::Store& store;
  std::string address;
  int listen_fd = -1;
  int wake_fd = -1;
  std::string unix_path;
  std::thread thread;
  std::atomic<bool> stopping{false};

  mutable std::mutex mu;  // queue, index and stats; never held across I/O
  std::condition_variable idle_cv;
  std::list<Item> queue;
  std::unordered_map<std::string, std::list<Item>::iterator> queued;  // incident → queue entry
  DraftPoolStats st;

  // Owned by the I/O thread.
  std::unordered_map<int, Worker> workers;
  std::unordered_map<std::uint64_t, Delivery> in_flight;
  std::uint64_t next_delivery = 1;
  simdjson::dom::parser parser;

  Impl(const DraftPoolOptions& o, store::Store& s) : opt(o), store(s) {}

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_fd, &one, sizeof one);
  }

  // Queue `item` (front for a redelivery); a newer version of the same incident replaces an older
  // queued one; when full, the oldest goes. Called with `mu` held.
  void enqueue_locked(Item item, bool front) {
    if (auto it = queued.find(item.incident); it != queued.end()) {
      if (it->second->version >= item.version) return;  // the queue already has newer
      queue.erase(it->second);
      queued.erase(it);
      ++st.superseded;
    }
    if (queue.size() >= opt.queue_max) {
      queued.erase(queue.front().incident);
      queue.pop_front();
      ++st.dropped;
    }
    const std::string key = item.incident;
    auto pos = front ? queue.insert(queue.begin(), std::move(item))
                     : queue.insert(queue.end(), std::move(item));
    queued[key] = pos;
  }

  void close_worker(int fd) {
    ::close(fd);
    workers.erase(fd);
    // Its deliveries go to another worker.
    std::lock_guard lock(mu);
    for (auto it = in_flight.begin(); it != in_flight.end();) {
      if (it->second.fd == fd) {
        it->second.item.redelivery = true;
        enqueue_locked(std::move(it->second.item), true);
        it = in_flight.erase(it);
      } else {
        ++it;
      }
    }
    st.workers = workers.size();
    st.in_flight = in_flight.size();
    st.queued = queue.size();
  }

  void handle_line(Worker& w, std::string_view line) {
    simdjson::dom::element doc;
    if (parser.parse(line.data(), line.size()).get(doc) != simdjson::SUCCESS) {
      std::lock_guard lock(mu);
      ++st.bad_messages;
      return;
    }
    std::string_view type;
    if (doc["type"].get(type) != simdjson::SUCCESS) {
      std::lock_guard lock(mu);
      ++st.bad_messages;
      return;
    }
    if (type == "hello") {
      read_optional(doc, "pid", w.pid);
      std::string_view d;
      if (doc["drafter"].get(d) == simdjson::SUCCESS) w.drafter = std::string(d);
    } else if (type == "ready") {
      ++w.credits;
    } else if (type == "draft") {
      on_draft(w, doc);
    } else {
      std::lock_guard lock(mu);
      ++st.bad_messages;
    }
  }

  void on_draft(Worker& w, simdjson::dom::element doc) {
    std::uint64_t id = 0;
    simdjson::dom::element draft;
    if (doc["delivery"].get(id) != simdjson::SUCCESS ||
        doc["draft"].get(draft) != simdjson::SUCCESS) {
      std::lock_guard lock(mu);
      ++st.bad_messages;
      return;
    }
    store::DraftRecord r;
    // Which incident and version: ours (the delivery), not the worker's word, when we have it.
    if (auto it = in_flight.find(id); it != in_flight.end()) {
      r.incident = it->second.item.incident;
      r.bundle_version = it->second.item.version;
    } else {
      std::string_view inc;
      if (draft["incident"].get(inc) != simdjson::SUCCESS ||
          draft["bundle_version"].get(r.bundle_version) != simdjson::SUCCESS) {
        std::lock_guard lock(mu);
        ++st.bad_messages;
        return;
      }
      r.incident = std::string(inc);
    }
    r.draft_json = simdjson::minify(draft);
    std::string_view s;
    if (draft["drafter"].get(s) == simdjson::SUCCESS) r.drafter = std::string(s);
    simdjson::dom::element rec;
    if (doc["record"].get(rec) == simdjson::SUCCESS) {
      if (rec["model"].get(s) == simdjson::SUCCESS) r.model = std::string(s);
      if (rec["model_version"].get(s) == simdjson::SUCCESS && !s.empty())
        r.model += "@" + std::string(s);
      if (rec["prompt"].get(s) == simdjson::SUCCESS) r.prompt = std::string(s);
      if (rec["raw_reply"].get(s) == simdjson::SUCCESS) r.raw_reply = std::string(s);
      read_optional(rec, "latency_ms", r.latency_ms);
      read_optional(rec, "tokens_in", r.tokens_in);
      read_optional(rec, "tokens_out", r.tokens_out);
      read_optional(rec, "fallback", r.fallback);
    }
    if (r.drafter.empty()) r.drafter = w.drafter;
    r.created_at_ms = core::wall_clock_ms();
    auto stored = store.put_draft(r);
    bool is_new = false;
    {
      std::lock_guard lock(mu);
      if (!stored) {
        ++st.store_errors;
      } else {
        is_new = *stored;
        ++(is_new ? st.stored : st.duplicates);
      }
    }
    if (!stored) return;  // not acknowledged: the lease sends it out again
    in_flight.erase(id);
    {
      std::lock_guard lock(mu);
      st.in_flight = in_flight.size();
    }
    idle_cv.notify_all();
    std::string msg;
    core::JsonWriter j(msg);
    j.begin_object().kv("type", "stored").kv("delivery", id).kv("new", is_new).end_object();
    msg += '\n';
    w.out += msg;
  }

  void dispatch() {
    for (auto& [fd, w] : workers) {
      while (w.credits > 0) {
        Item item;
        {
          std::lock_guard lock(mu);
          if (queue.empty()) return;
          item = std::move(queue.front());
          queued.erase(item.incident);
          queue.pop_front();
          st.queued = queue.size();
          ++st.delivered;
          if (item.redelivery) ++st.redelivered;
        }
        const std::uint64_t id = next_delivery++;
        std::string msg;
        msg.reserve(item.json.size() + 128);
        core::JsonWriter j(msg);
        j.begin_object()
            .kv("type", "bundle")
            .kv("delivery", id)
            .kv("incident", item.incident)
            .kv("version", item.version)
            .key("bundle")
            .raw(item.json)
            .end_object();
        msg += '\n';
        w.out += msg;
        --w.credits;
        in_flight[id] =
            Delivery{std::move(item), fd, Clock::now() + std::chrono::milliseconds(opt.lease_ms)};
        std::lock_guard lock(mu);
        st.in_flight = in_flight.size();
      }
    }
  }

  void expire_leases() {
    const auto now = Clock::now();
    std::lock_guard lock(mu);
    for (auto it = in_flight.begin(); it != in_flight.end();) {
      if (it->second.deadline <= now) {
        it->second.item.redelivery = true;
        enqueue_locked(std::move(it->second.item), true);
        it = in_flight.erase(it);
      } else {
        ++it;
      }
    }
    st.in_flight = in_flight.size();
    st.queued = queue.size();
  }

  void loop() {
    std::vector<pollfd> fds;
    char buf[64 * 1024];
    while (!stopping.load()) {
      dispatch();
      fds.clear();
      fds.push_back({listen_fd, POLLIN, 0});
      fds.push_back({wake_fd, POLLIN, 0});
      for (auto& [fd, w] : workers)
        fds.push_back({fd, static_cast<short>(POLLIN | (w.out.empty() ? 0 : POLLOUT)), 0});
      ::poll(fds.data(), fds.size(), 100);
      if (fds[1].revents & POLLIN) {
        std::uint64_t v;
        [[maybe_unused]] const ssize_t n = ::read(wake_fd, &v, sizeof v);
      }
      if (fds[0].revents & POLLIN) {
        const int c = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0) {
          workers[c].fd = c;
          std::lock_guard lock(mu);
          st.workers = workers.size();
        }
      }
      for (std::size_t i = 2; i < fds.size(); ++i) {
        const int fd = fds[i].fd;
        auto it = workers.find(fd);
        if (it == workers.end()) continue;
        Worker& w = it->second;
        bool dead = (fds[i].revents & (POLLERR | POLLNVAL)) != 0;
        if (!dead && (fds[i].revents & (POLLIN | POLLHUP))) {
          const ssize_t n = ::read(fd, buf, sizeof buf);
          if (n <= 0) {
            dead = n == 0 || (errno != EAGAIN && errno != EINTR);
          } else {
            w.in.append(buf, static_cast<std::size_t>(n));
            std::size_t start = 0;
            for (std::size_t nl; (nl = w.in.find('\n', start)) != std::string::npos; start = nl + 1)
              handle_line(w, std::string_view(w.in).substr(start, nl - start));
            w.in.erase(0, start);
          }
        }
        if (!dead && !w.out.empty() && (fds[i].revents & POLLOUT)) {
          const ssize_t n = ::send(fd, w.out.data(), w.out.size(), MSG_NOSIGNAL);
          if (n > 0)
            w.out.erase(0, static_cast<std::size_t>(n));
          else if (n < 0 && errno != EAGAIN && errno != EINTR)
            dead = true;
        }
        if (dead) close_worker(fd);
      }
      expire_leases();
    }
    for (auto& [fd, w] : workers) ::close(fd);
    workers.clear();
  }
};

DraftPool::DraftPool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DraftPool::~DraftPool() { stop(); }
const std::string& DraftPool::address() const { return impl_->address; }

core::Result<std::unique_ptr<DraftPool>> DraftPool::start(const DraftPoolOptions& options,
                                                          store::Store& store) {
  auto impl = std::make_unique<Impl>(options, store);
  Impl& p = *impl;
  auto address = net::parse_stream_address(options.listen, "drafting.listen");
  if (!address) return tl::unexpected(address.error());
  auto fd = net::listen_stream(*address, p.address);
  if (!fd) return core::make_error("drafting.listen: " + fd.error().message);
  p.listen_fd = *fd;
  if (address->is_unix) p.unix_path = address->path;
  p.wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  p.thread = std::thread([&p] { p.loop(); });
  return std::unique_ptr<DraftPool>(new DraftPool(std::move(impl)));
}

void DraftPool::submit(const store::BundleRecord& b) {
  {
    std::lock_guard lock(impl_->mu);
    ++impl_->st.submitted;
    impl_->enqueue_locked(Item{b.incident, b.version, b.json, false}, false);
    impl_->st.queued = impl_->queue.size();
  }
  impl_->wake();
}

DraftPoolStats DraftPool::stats() const {
  std::lock_guard lock(impl_->mu);
  return impl_->st;
}

bool DraftPool::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  return impl_->idle_cv.wait_for(lock, timeout, [&] {
    return impl_->queue.empty() && impl_->st.in_flight == 0;
  }) || (impl_->queue.empty() && impl_->st.in_flight == 0);
}

void DraftPool::stop() {
  if (!impl_ || impl_->listen_fd < 0) return;
  impl_->stopping.store(true);
  impl_->wake();
  if (impl_->thread.joinable()) impl_->thread.join();
  ::close(impl_->listen_fd);
  ::close(impl_->wake_fd);
  impl_->listen_fd = -1;
  if (!impl_->unix_path.empty()) ::unlink(impl_->unix_path.c_str());
}

}  // namespace squall::serve
