// Drafting throughput (issue: drafting pool, §6): the evidence drafter's drafts/s on a realistic
// bundle (grounding included), and the drafting queue's overhead per bundle — submit → a
// worker on a Unix socket takes it → its draft comes back → stored in SQLite → acknowledged — with
// an in-process worker that answers at once, so what is measured is the queue, the protocol and the
// store, not a drafter.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "io/store/store.h"
#include "plugins/drafters/registry.h"
#include "tools/serve/draft_pool.h"

namespace {

using namespace squall;

// A bundle shaped like the 3am storm's biggest: 6 services, a deploy, 3 hypotheses, 8 exemplars.
std::string make_bundle(const std::string& id, std::uint64_t version) {
  std::string b =
      R"J({"incident":")J" + id + R"J(","version":)J" + std::to_string(version) +
      R"J(,"state":"open","opened_at":1764000000000,"updated_at":1764000240000,)J"
      R"J("closed_at":null,"alerts_total":180,"fingerprints":64,"severity":"critical",)J"
      R"J("services":["content","media","seller-portal","web-frontend","db-currency","api-gateway"],)J"
      R"J("nodes":["ip-10-0-3-8"],"dimensions":{"cluster":{"eu-west-1":64}},"timeline":[)J";
  for (int i = 0; i < 12; ++i) {
    if (i) b += ',';
    b += R"J({"ts":)J" + std::to_string(1764000000000 + i * 15000) +
         R"J(,"service":"content","alertname":"HighErrorRate","count":)J" + std::to_string(i + 1) +
         "}";
  }
  b +=
      R"J(],"changes":[{"ts":1763999969000,"service":"content","summary":"deploy content@v4.1.0 (was content@v4.0.0)"}],)J"
      R"J("root_cause":[{"service":"content","node":null,"score":0.926,"reasons":["earliest onset",)J"
      R"J("deploy content@v4.1.0 (was content@v4.0.0), 31s before onset","4 dependents alerting after it"],)J"
      R"J("evidence":["a-1","a-2"]},{"service":"media","node":null,"score":0.4,"reasons":["calls content"],)J"
      R"J("evidence":["a-3"]},{"service":null,"node":"ip-10-0-3-8","score":0.2,"reasons":["placement"],)J"
      R"J("evidence":["a-4"]}],"exemplars":[)J";
  for (int i = 1; i <= 8; ++i) {
    if (i > 1) b += ',';
    b += R"J({"id":"a-)J" + std::to_string(i) +
         R"J(","labels":{"alertname":"HighErrorRate","service":"content","pod":"content-7f9-)J" +
         std::to_string(i) +
         R"J(","cluster":"eu-west-1"},"annotations":{"summary":"content: 5xx ratio )J" +
         std::to_string(20 + i) + R"J(%"},"ts":1764000000000,"status":"firing","count":3})J";
  }
  b += "]}";
  return b;
}

void BM_EvidenceDraft(benchmark::State& state) {
  drafters::DrafterConfig c;
  auto d = drafters::make_drafter(c);
  if (!d) {
    state.SkipWithError(d.error().message.c_str());
    return;
  }
  const std::string bundle = make_bundle("inc-0-2", 3);
  for (auto _ : state) {
    auto r = (*d)->draft(bundle);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bundle.size()));
}
BENCHMARK(BM_EvidenceDraft);

// An in-process worker speaking the pool's protocol, answering each bundle with a fixed draft.
void fake_worker(const std::string& path, std::atomic<bool>& stop) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return;
  std::string hello = "{\"type\":\"hello\",\"pid\":1,\"drafter\":\"evidence\"}\n";
  for (int i = 0; i < 64; ++i) hello += "{\"type\":\"ready\"}\n";  // 64 credits: a pipelined worker
  (void)::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
  timeval tv{0, 100'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string buf;
  char tmp[65536];
  while (!stop.load()) {
    const ssize_t n = ::read(fd, tmp, sizeof tmp);
    if (n <= 0) continue;
    buf.append(tmp, static_cast<std::size_t>(n));
    std::string out;
    for (std::size_t nl; (nl = buf.find('\n')) != std::string::npos; buf.erase(0, nl + 1)) {
      const std::string line = buf.substr(0, nl);
      if (line.find("\"type\":\"stored\"") != std::string::npos) {
        out += "{\"type\":\"ready\"}\n";
        continue;
      }
      const auto d = line.find("\"delivery\":");
      const auto inc = line.find("\"incident\":\"");
      if (d == std::string::npos || inc == std::string::npos) continue;
      const std::string delivery = line.substr(d + 11, line.find(',', d) - d - 11);
      const std::string id = line.substr(inc + 12, line.find('"', inc + 12) - inc - 12);
      out += "{\"type\":\"draft\",\"delivery\":" + delivery + ",\"draft\":{\"incident\":\"" + id +
             "\",\"bundle_version\":1,\"drafter\":\"evidence\",\"likely_cause\":\"content\","
             "\"confidence\":0.9,\"evidence\":[\"earliest onset\"],\"needs_human_check\":true},"
             "\"record\":{\"model\":\"\",\"latency_ms\":0}}\n";
    }
    if (!out.empty()) (void)::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
  }
  ::close(fd);
}

void BM_QueueRoundTrip(benchmark::State& state) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("squall-draftq-bench-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  store::Options so;
  so.dir = (dir / "data").string();
  auto st = store::Store::open(so);
  if (!st) {
    state.SkipWithError(st.error().message.c_str());
    return;
  }
  serve::DraftPoolOptions po;
  po.listen = "unix:" + (dir / "q.sock").string();
  po.queue_max = 1 << 20;
  auto pool = serve::DraftPool::start(po, **st);
  if (!pool) {
    state.SkipWithError(pool.error().message.c_str());
    return;
  }
  std::atomic<bool> stop{false};
  std::thread worker(fake_worker, (dir / "q.sock").string(), std::ref(stop));
  while ((*pool)->stats().workers == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const std::string bundle = make_bundle("inc-0-x", 1);
  std::uint64_t n = 0;
  for (auto _ : state) {
    const std::int64_t batch = state.range(0);
    for (std::int64_t i = 0; i < batch; ++i) {
      store::BundleRecord r;
      r.incident = "inc-0-" + std::to_string(++n);
      r.version = 1;
      r.state = "open";
      r.json = bundle;
      (*pool)->submit(r);
    }
    if (!(*pool)->wait_idle(std::chrono::seconds(60))) state.SkipWithError("queue did not drain");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.counters["stored"] = static_cast<double>((*pool)->stats().stored);
  stop.store(true);
  worker.join();
  (*pool)->stop();
  fs::remove_all(dir);
}
BENCHMARK(BM_QueueRoundTrip)->Arg(1)->Arg(256)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
