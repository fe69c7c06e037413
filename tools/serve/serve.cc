#include "tools/serve/serve.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/core/interner.h"
#include "engine/core/json_writer.h"
#include "engine/core/time.h"
#include "engine/pipeline/pipeline.h"
#include "io/config_loader.h"
#include "io/net/metrics.h"
#include "io/net/server.h"
#include "io/store/store.h"
#include "io/topology_loader.h"
#include "plugins/drafters/common/config.h"
#include "tools/serve/draft_pool.h"
#include "tools/serve/serve_sink.h"

namespace squall::serve {
namespace {

// "a=1&b=x" → the value of `key`, or "".
std::string query_param(std::string_view target, std::string_view key) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view kv = rest.substr(0, amp);
    const auto eq = kv.find('=');
    if (kv.substr(0, eq) == key)
      return std::string(eq == std::string_view::npos ? "" : kv.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

net::HttpReply json_error(int status, std::string_view message) {
  std::string body;
  core::JsonWriter w(body);
  w.begin_object().kv("status", "error").kv("error", message).end_object();
  return {status, "application/json", std::move(body)};
}

// The read API and operational endpoints.
class Api {
 public:
  Api(store::Store& store, net::Metrics& metrics, pipeline::Pipeline& pipeline)
      : store_(store), metrics_(metrics), pipeline_(pipeline) {}

  net::HttpReply handle(std::string_view method, std::string_view target) {
    const std::string_view path = target.substr(0, target.find('?'));
    if (method != "GET" && method != "HEAD") return json_error(405, "use GET");
    if (path == "/healthz" || path == "/-/healthy" || path == "/-/ready")
      return {200, "text/plain", "ok\n"};
    if (path == "/metrics") return {200, "text/plain; version=0.0.4", metrics()};
    constexpr std::string_view kIncidents = "/api/v1/incidents";
    if (path == kIncidents) return list(target);
    if (path.starts_with(kIncidents) && path[kIncidents.size()] == '/') {
      std::string_view id = path.substr(kIncidents.size() + 1);
      constexpr std::string_view kDraft = "/draft";
      if (id.ends_with(kDraft)) return draft(id.substr(0, id.size() - kDraft.size()));
      return one(id);
    }
    return json_error(404, "no such path");
  }

 private:
  std::string metrics() {
    std::string out;
    net::render(metrics_, out);
    const pipeline::LiveStats l = pipeline_.live();
    net::render_gauge(out, "squall_pipeline_chunks_in_flight",
                      "Pipeline chunks acquired and not yet released (queue depth).",
                      static_cast<double>(l.chunks_in_flight));
    net::render_gauge(out, "squall_pipeline_chunks_capacity", "Pipeline chunks in all.",
                      static_cast<double>(l.chunks_capacity));
    net::render_counter(out, "squall_alerts_dispatched_total",
                        "Accepted alerts and change events handed to the correlator shards.",
                        l.inputs_dispatched);
    net::render_counter(out, "squall_alerts_correlated_total",
                        "Accepted alerts and change events the correlators have taken.",
                        l.inputs_correlated);
    out += "# HELP squall_shard_backlog_chunks Chunks queued at each correlator shard.\n";
    out += "# TYPE squall_shard_backlog_chunks gauge\n";
    for (std::size_t i = 0; i < l.shard_backlog.size(); ++i)
      out += "squall_shard_backlog_chunks{shard=\"" + std::to_string(i) + "\"} " +
             std::to_string(l.shard_backlog[i]) + "\n";
    const store::Stats s = store_.stats();
    net::render_counter(out, "squall_store_bundles_written_total",
                        "Bundles committed to the incident store.", s.bundles_written);
    net::render_counter(out, "squall_store_write_errors_total",
                        "Failed bundle log writes and store transactions.", s.write_errors);
    net::render_gauge(out, "squall_store_pending", "Bundles waiting for the store's writer.",
                      static_cast<double>(s.pending));
    if (extra_metrics) extra_metrics(out);
    return out;
  }

  net::HttpReply list(std::string_view target) {
    store::Store::Query q;
    q.state = query_param(target, "state");
    if (!q.state.empty() && q.state != "open" && q.state != "closed")
      return json_error(400, "state: open or closed");
    if (const std::string lim = query_param(target, "limit"); !lim.empty()) {
      char* end = nullptr;
      const unsigned long v = std::strtoul(lim.c_str(), &end, 10);
      if (*end != '\0' || v > 10000) return json_error(400, "limit: 0-10000");
      q.limit = v;
    }
    auto rows = store_.incidents(q);
    if (!rows) return json_error(500, rows.error().message);
    std::string body = "{\"incidents\":[";
    for (std::size_t i = 0; i < rows->size(); ++i) {
      if (i) body += ',';
      body += (*rows)[i].json;
    }
    body += "]}";
    return {200, "application/json", std::move(body)};
  }

  net::HttpReply one(std::string_view id) {
    auto row = store_.incident(id);
    if (!row) return json_error(500, row.error().message);
    if (!*row) return json_error(404, "no such incident");
    return {200, "application/json", std::move((*row)->json)};
  }

  net::HttpReply draft(std::string_view id) {
    auto d = store_.latest_draft(id);
    if (!d) return json_error(500, d.error().message);
    if (!*d) return json_error(404, "no draft for this incident (yet)");
    return {200, "application/json", std::move((*d)->draft_json)};
  }

  store::Store& store_;
  net::Metrics& metrics_;
  pipeline::Pipeline& pipeline_;

 public:
  std::function<void(std::string&)> extra_metrics;
};

core::Result<std::shared_ptr<const core::Topology>> load_topo(const std::string& path,
                                                              core::Interner& interner,
                                                              int max_hops) {
  if (path.empty()) return std::make_shared<const core::Topology>();
  auto t = io::load_topology(path, interner, max_hops);
  if (!t) return tl::unexpected(t.error());
  return std::make_shared<const core::Topology>(std::move(*t));
}

// Starts and restarts the draft-worker processes; stops them at shutdown.
class WorkerSupervisor {
 public:
  WorkerSupervisor(std::vector<std::string> argv, unsigned n, std::FILE* err)
      : argv_(std::move(argv)), pids_(n, -1), err_(err) {
    for (auto& p : pids_) p = spawn();
    thread_ = std::thread([this] { watch(); });
  }
  ~WorkerSupervisor() { stop(std::chrono::seconds(5)); }

  // The workers exit by themselves once the pool closes their connections; stragglers get SIGKILL.
  // No more restarts: call before closing the pool, whose disconnect makes the workers exit.
  void stop_restarting() {
    if (stopping_.exchange(true)) return;
    thread_.join();
  }

  void stop(std::chrono::milliseconds grace) {
    stop_restarting();
    const auto deadline = std::chrono::steady_clock::now() + grace;
    for (pid_t& p : pids_) {
      if (p <= 0) continue;
      int status = 0;
      while (::waitpid(p, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() >= deadline) {
          ::kill(p, SIGKILL);
          ::waitpid(p, &status, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      p = -1;
    }
  }

 private:
  pid_t spawn() {
    std::vector<char*> args;
    for (auto& a : argv_) args.push_back(a.data());
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      sigset_t none;
      sigemptyset(&none);
      pthread_sigmask(SIG_SETMASK, &none, nullptr);
      ::execv(args[0], args.data());
      _exit(127);
    }
    return pid;
  }
  void watch() {
    while (!stopping_.load()) {
      for (pid_t& p : pids_) {
        int status = 0;
        if (p > 0 && ::waitpid(p, &status, WNOHANG) == p) {
          if (stopping_.load()) break;
          std::fprintf(err_, "squall serve: draft worker %d ended (%s %d); starting another\n",
                       static_cast<int>(p), WIFEXITED(status) ? "exit" : "signal",
                       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
          std::fflush(err_);
          p = spawn();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  std::vector<std::string> argv_;
  std::vector<pid_t> pids_;
  std::FILE* err_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

std::string self_exe(const std::string& fallback) {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return fallback;
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

int run_serve(const ServeOptions& o, std::FILE* err) {
  io::ServeConfig cfg;
  if (!o.config.empty())
    if (auto ok = io::load_serve_config(o.config, cfg); !ok) {
      std::fprintf(err, "squall serve: %s\n", ok.error().message.c_str());
      return 2;
    }
  if (o.http_set) cfg.http = o.http;
  if (o.tcp_set) cfg.tcp = o.tcp;
  if (o.udp_set) cfg.udp = o.udp;
  if (!o.data.empty()) cfg.data = o.data;
  if (!o.topology.empty()) cfg.topology = o.topology;
  if (o.io_threads) cfg.io_threads = o.io_threads;
  if (o.shard_threads) cfg.shard_threads = o.shard_threads;
  if (o.drafting_workers >= 0)
    cfg.drafting.workers = static_cast<std::uint32_t>(o.drafting_workers);
  for (const auto& [key, addr] : {std::pair<const char*, std::string*>{"server.http", &cfg.http},
                                  {"server.tcp", &cfg.tcp},
                                  {"server.udp", &cfg.udp}})
    if (!addr->empty())
      if (auto a = net::parse_address(*addr, key); !a) {
        std::fprintf(err, "squall serve: %s\n", a.error().message.c_str());
        return 2;
      }

  // The workers read the runbook; a bad rule fails here, at start, not in every worker.
  {
    drafters::DrafterConfig dc;
    for (const auto& [kind, action] : cfg.drafting.runbook) {
      auto ok = drafters::apply_option(dc, "runbook", kind + "=" + action);
      if (ok) ok = drafters::validate(dc);
      if (!ok) {
        // The drafter names its own key "drafter.runbook"; here the key is "drafting.runbook".
        std::string_view m = ok.error().message;
        if (m.starts_with("drafter.")) m.remove_prefix(8);
        std::fprintf(err, "squall serve: drafting.%.*s\n", static_cast<int>(m.size()), m.data());
        return 2;
      }
    }
  }

  // Signals are taken by the main thread only (sigtimedwait), so block them before any thread.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  core::Interner interner;
  auto topology = load_topo(cfg.topology, interner, cfg.engine.correlate.max_hops);
  if (!topology) {
    std::fprintf(err, "squall serve: topology: %s\n", topology.error().message.c_str());
    return 2;
  }

  store::Options so;
  so.dir = cfg.data;
  so.log_max_bytes = cfg.log_max_bytes;
  so.log_max_files = cfg.log_max_files;
  so.max_pending = cfg.store_max_pending;
  auto opened = store::Store::open(so);
  if (!opened) {
    std::fprintf(err, "squall serve: server.data: %s\n", opened.error().message.c_str());
    return 2;
  }
  store::Store& st = **opened;

  net::Metrics metrics;
  pipeline::Options po;
  po.format = parse::Format::kNative;
  po.limits = cfg.engine.parse;
  po.correlator = cfg.engine.correlate;
  // Incident ids stay unique across restarts: each run of a data directory numbers from its own
  // block (generation g starts at (g-1)·10⁹ + 1).
  po.correlator.first_incident_number = (st.generation() - 1) * 1'000'000'000ull + 1;
  po.topology = *topology;
  po.partition_by = cfg.engine.partition_by;
  po.partitions = cfg.engine.partitions;
  po.parse_threads = 0;
  po.shard_threads = cfg.shard_threads;
  po.chunks_in_flight = cfg.chunks_in_flight;
  if (auto ok = pipeline::validate(po); !ok) {
    std::fprintf(err, "squall serve: pipeline: %s\n", ok.error().message.c_str());
    return 2;
  }

  // The drafting queue: always listening, so standalone workers can connect; serve starts
  // drafting.workers of its own.
  serve::DraftPoolOptions dpo;
  dpo.listen =
      cfg.drafting.listen.empty() ? "unix:" + cfg.data + "/draft.sock" : cfg.drafting.listen;
  dpo.queue_max = cfg.drafting.queue_max;
  dpo.lease_ms = cfg.drafting.lease_ms;
  auto pool = DraftPool::start(dpo, st);
  if (!pool) {
    std::fprintf(err, "squall serve: %s\n", pool.error().message.c_str());
    return 2;
  }
  ServeSink::Forward forward = [p = pool->get()](const store::BundleRecord& b) { p->submit(b); };
  pipeline::Pipeline pipe(po, interner, [&](std::uint32_t) {
    return std::make_unique<ServeSink>(cfg.engine.bundle, cfg.engine.rca, interner, metrics, st,
                                       forward);
  });

  const unsigned udp_n = cfg.udp.empty() ? 0u : cfg.udp_receivers;
  std::vector<pipeline::Producer*> producers;
  for (unsigned i = 0; i < cfg.io_threads + udp_n; ++i) producers.push_back(&pipe.add_producer());
  pipeline::Producer& ticker = pipe.add_producer();

  Api api(st, metrics, pipe);
  api.extra_metrics = [p = pool->get()](std::string& out) {
    const DraftPoolStats d = p->stats();
    net::render_gauge(out, "squall_drafting_queue_depth", "Bundles waiting for a draft worker.",
                      static_cast<double>(d.queued));
    net::render_gauge(out, "squall_drafting_in_flight",
                      "Bundles handed to a worker, not yet drafted.",
                      static_cast<double>(d.in_flight));
    net::render_gauge(out, "squall_drafting_workers", "Draft workers connected.",
                      static_cast<double>(d.workers));
    net::render_counter(out, "squall_drafting_superseded_total",
                        "Queued bundles replaced by a newer version of their incident.",
                        d.superseded);
    net::render_counter(out, "squall_drafting_dropped_total",
                        "Queued bundles dropped because the drafting queue was full.", d.dropped);
    net::render_counter(out, "squall_drafting_redelivered_total",
                        "Bundles handed out again after a worker died or its lease ran out.",
                        d.redelivered);
    net::render_counter(out, "squall_drafts_stored_total", "Drafts stored.", d.stored);
    net::render_counter(out, "squall_drafts_duplicate_total",
                        "Drafts that were already stored (redeliveries).", d.duplicates);
  };
  net::ServerOptions no;
  no.http = cfg.http;
  no.tcp = cfg.tcp;
  no.udp = cfg.udp;
  no.io_threads = cfg.io_threads;
  no.udp_receivers = cfg.udp_receivers;
  no.max_body_bytes = cfg.engine.parse.max_body_bytes;
  no.max_line_bytes = cfg.engine.parse.max_line_bytes;
  no.read_bytes = cfg.read_bytes;
  no.retry_after_s = cfg.retry_after_s;
  no.idle_timeout_s = cfg.idle_timeout_s;
  auto server = net::Server::start(
      no, producers, metrics,
      [&api](std::string_view m, std::string_view t) { return api.handle(m, t); });
  if (!server) {
    std::fprintf(err, "squall serve: %s\n", server.error().message.c_str());
    pipe.finish();
    return 2;
  }

  // Where we listen, for scripts and tests that asked for port 0.
  {
    std::string j = "{\"pid\":" + std::to_string(::getpid()) + ",\"http\":\"" +
                    (*server)->http_address() + "\",\"tcp\":\"" + (*server)->tcp_address() +
                    "\",\"udp\":\"" + (*server)->udp_address() + "\"}\n";
    const std::filesystem::path tmp = std::filesystem::path(cfg.data) / "serve.json.tmp";
    std::ofstream(tmp) << j;
    std::error_code ec;
    std::filesystem::rename(tmp, std::filesystem::path(cfg.data) / "serve.json", ec);
  }
  std::fprintf(err,
               "squall serve: http %s, tcp %s, udp %s; data in %s; topology %s; %u io, %u udp, %u "
               "shard threads\n",
               (*server)->http_address().empty() ? "off" : (*server)->http_address().c_str(),
               (*server)->tcp_address().empty() ? "off" : (*server)->tcp_address().c_str(),
               (*server)->udp_address().empty() ? "off" : (*server)->udp_address().c_str(),
               cfg.data.c_str(), cfg.topology.empty() ? "none" : cfg.topology.c_str(),
               cfg.io_threads, udp_n, pipe.shard_threads());
  std::fflush(err);

  std::optional<WorkerSupervisor> workers;
  if (cfg.drafting.workers > 0) {
    std::vector<std::string> argv = {self_exe(o.self_exe), "draft-worker", "--connect",
                                     (*pool)->address(), "--exit-on-disconnect"};
    if (!o.config.empty()) {
      argv.push_back("--config");
      argv.push_back(o.config);
    }
    if (o.worker_delay_ms > 0) {
      argv.push_back("--delay-ms");
      argv.push_back(std::to_string(o.worker_delay_ms));
    }
    workers.emplace(std::move(argv), cfg.drafting.workers, err);
  }

  // The main thread: ticks (idle event time follows the wall clock) and signals.
  int exit_code = 0;
  for (;;) {
    timespec ts{cfg.tick_ms / 1000, (cfg.tick_ms % 1000) * 1'000'000};
    const int sig = sigtimedwait(&sigs, nullptr, &ts);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (sig == SIGHUP) {
      if (cfg.topology.empty()) {
        std::fprintf(err, "squall serve: SIGHUP: no topology file configured\n");
      } else if (auto t = load_topo(cfg.topology, interner, cfg.engine.correlate.max_hops); !t) {
        metrics.topology_reload_errors.fetch_add(1);
        std::fprintf(err, "squall serve: SIGHUP: topology not reloaded (the old one stays): %s\n",
                     t.error().message.c_str());
      } else {
        ticker.set_topology(*t);
        metrics.topology_reloads.fetch_add(1);
        std::fprintf(err, "squall serve: SIGHUP: topology reloaded from %s\n",
                     cfg.topology.c_str());
      }
      std::fflush(err);
    }
    ticker.tick(core::wall_clock_ms());
  }

  // Drain: no new input; what was accepted is correlated; open incidents are closed and their
  // final bundles stored.
  std::fprintf(err, "squall serve: draining\n");
  std::fflush(err);
  (*server)->stop();
  pipe.finish();
  const pipeline::Stats ps = pipe.stats();
  if (auto ok = st.flush(); !ok) {
    std::fprintf(err, "squall serve: store: %s\n", ok.error().message.c_str());
    exit_code = 1;
  }
  // Drafts for what is queued (the final bundles included), within drafting.drain_ms.
  if (workers && !(*pool)->wait_idle(std::chrono::milliseconds(cfg.drafting.drain_ms)))
    std::fprintf(
        err, "squall serve: drafting: %llu bundles not drafted at exit\n",
        static_cast<unsigned long long>((*pool)->stats().queued + (*pool)->stats().in_flight));
  if (workers) workers->stop_restarting();
  (*pool)->stop();
  if (workers) workers->stop(std::chrono::seconds(5));
  const DraftPoolStats ds = (*pool)->stats();
  const store::Stats ss = st.stats();
  std::fprintf(err,
               "squall serve: stopped: %llu alerts accepted, %llu correlated (%llu change events), "
               "%llu rejected, %llu incidents, %llu bundles stored, %llu drafts stored\n",
               static_cast<unsigned long long>(ps.parse.accepted),
               static_cast<unsigned long long>(ps.correlate.alerts + ps.correlate.changes),
               static_cast<unsigned long long>(ps.correlate.changes),
               static_cast<unsigned long long>(ps.parse.rejected_total()),
               static_cast<unsigned long long>(ps.correlate.opened),
               static_cast<unsigned long long>(ss.bundles_written + ss.bundles_stale +
                                               ss.bundles_superseded),
               static_cast<unsigned long long>(ds.stored));
  std::error_code ec;
  std::filesystem::remove(std::filesystem::path(cfg.data) / "serve.json", ec);
  return exit_code;
}

void register_serve_command(CLI::App& app, const char* argv0) {
  auto o = std::make_shared<ServeOptions>();
  o->self_exe = argv0 ? argv0 : "squall";
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Run the live engine: ingest alerts over HTTP (Alertmanager v2 API, webhook v4, native "
      "NDJSON), TCP (NDJSON lines) and UDP (datagrams of NDJSON lines), correlate them, store "
      "incident bundles, answer the read API and /metrics. SIGTERM drains and exits 0; SIGHUP "
      "reloads the topology file.");
  cmd->add_option("--config", o->config,
                  "YAML config: sections server, topology, store, drafting, correlate, bundle, "
                  "rca, parse, pipeline (flags override it)");
  cmd->add_option("--http", o->http,
                  "HTTP listen address HOST:PORT or :PORT; '' to turn off "
                  "(default :9093)")
      ->each([o](const std::string&) { o->http_set = true; });
  cmd->add_option("--tcp", o->tcp, "TCP NDJSON listen address (default :9400; '' = off)")
      ->each([o](const std::string&) { o->tcp_set = true; });
  cmd->add_option("--udp", o->udp, "UDP listen address (default :9401; '' = off)")
      ->each([o](const std::string&) { o->udp_set = true; });
  cmd->add_option("--data", o->data,
                  "data directory: incident store, bundle log (default "
                  "./squall-data)");
  cmd->add_option("--topology", o->topology, "service topology file (YAML or JSON)");
  cmd->add_option("--io-threads", o->io_threads, "network threads (TCP, HTTP)")
      ->check(CLI::Range(1u, 64u));
  cmd->add_option("--shard-threads", o->shard_threads, "correlator threads")
      ->check(CLI::Range(1u, 256u));
  cmd->add_option("--drafting-workers", o->drafting_workers,
                  "draft-worker processes to start (overrides drafting.workers)")
      ->check(CLI::Range(0, 64));
  cmd->add_option("--worker-delay-ms", o->worker_delay_ms,
                  "testing: draft workers wait this long before each draft")
      ->check(CLI::Range(0, 600000));
  cmd->callback([o] {
    const int code = run_serve(*o, stderr);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace squall::serve
