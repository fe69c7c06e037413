// `squall serve` as a process: config errors, SIGTERM drain and restart persistence, SIGHUP
// topology reloads, and real clients — Prometheus using squall as its Alertmanager, and an
// Alertmanager forwarding its webhook to squall (Debian packages, started on 127.0.0.1 with free
// ports).
#include <chrono>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/http_util.h"
#include "tests/integration/subprocess.h"

namespace squall::integration {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Fast close and no group wait, so incidents show within seconds.
constexpr std::string_view kFastConfig =
    "server: {tick_ms: 50ms}\n"
    "correlate: {allowed_lateness_ms: 500ms, quiet_period_ms: 1h}\n"
    "bundle: {group_wait_ms: 0, min_interval_ms: 1s}\n"
    "drafting: {workers: 0}\n";

template <class F>
bool eventually(F&& f, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return f();
}

std::uint16_t port_in(const std::string& json, const std::string& key) {
  const auto at = json.find("\"" + key + "\":\"");
  if (at == std::string::npos) return 0;
  const auto start = at + key.size() + 4;
  const std::string addr = json.substr(start, json.find('"', start) - start);
  return static_cast<std::uint16_t>(std::stoi(addr.substr(addr.rfind(':') + 1)));
}

// Reads a counter or gauge from /metrics text ("name{labels} value").
double metric(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

class Serve {
 public:
  static core::Result<Serve> start(const fs::path& dir, const std::string& config_text,
                                   std::vector<std::string> extra = {}) {
    if (auto ok = write_file(dir / "squall.yaml", config_text); !ok)
      return tl::unexpected(ok.error());
    std::vector<std::string> argv = {
        SQUALL_BINARY, "serve",       "--config", (dir / "squall.yaml").string(),
        "--http",      "127.0.0.1:0", "--tcp",    "127.0.0.1:0",
        "--udp",       "127.0.0.1:0", "--data",   (dir / "data").string()};
    for (auto& e : extra) argv.push_back(std::move(e));
    std::error_code ec;
    fs::remove(dir / "data" / "serve.json", ec);
    auto child = Subprocess::start(argv, dir / "serve.log");
    if (!child) return tl::unexpected(child.error());
    Serve s(dir, std::move(*child));
    const bool up = eventually(
        [&] { return !read_file(dir / "data" / "serve.json").empty() || !s.proc->is_running(); },
        20s);
    const std::string j = read_file(dir / "data" / "serve.json");
    if (!up || j.empty())
      return core::make_error("squall serve did not start: " + read_file(dir / "serve.log"));
    s.http = port_in(j, "http");
    return s;
  }
  std::string log() const { return read_file(dir / "serve.log"); }
  std::string metrics() const {
    auto r = http_get(http, "/metrics");
    return r ? r->body : "";
  }

  fs::path dir;
  std::optional<Subprocess> proc;
  std::uint16_t http = 0;

 private:
  Serve(fs::path d, Subprocess p) : dir(std::move(d)), proc(std::move(p)) {}
};

std::string am_alert(const std::string& name, const std::string& service, const std::string& node) {
  return R"({"labels":{"alertname":")" + name + R"(","service":")" + service + R"(","node":")" +
         node + R"(","severity":"critical"},"annotations":{"summary":")" + name + " on " + service +
         R"("},"startsAt":"2026-11-24T03:00:00Z"})";
}

class ServeProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = TempDir::create("squall-serve-");
    ASSERT_TRUE(d) << d.error().message;
    dir_.emplace(std::move(*d));
  }
  void TearDown() override {
    if (HasFailure() && dir_)
      std::cerr << "---- serve log ----\n" << read_file(dir_->path() / "serve.log");
  }
  std::optional<TempDir> dir_;
};

TEST_F(ServeProcess, BadConfigFailsFastNamingTheKey) {
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {"server: {io_threads: 0}\n", "server.io_threads"},
           {"server: {colour: blue}\n", "server.colour"},
           {"drafting: {drafter: oracle}\n", "drafting.drafter"},
           {"drafting: {runbook: {bad_deploy: \"roll back\"}}\n",
            "drafting.runbook: unknown kind 'bad_deploy'"},
           {"server: {http: \"localhost\"}\n", "server.http"}}) {
    ASSERT_TRUE(write_file(dir_->path() / "bad.yaml", text));
    auto p =
        Subprocess::start({SQUALL_BINARY, "serve", "--config", (dir_->path() / "bad.yaml").string(),
                           "--data", (dir_->path() / "data").string()},
                          dir_->path() / "bad.log");
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->wait_for_exit(10s)) << text;
    EXPECT_EQ(p->exit_status()->code, 2) << text;
    EXPECT_NE(read_file(dir_->path() / "bad.log").find(key), std::string::npos)
        << text << read_file(dir_->path() / "bad.log");
  }
}

TEST_F(ServeProcess, SigtermDrainsAndAClosedIncidentIsReadableAfterARestart) {
  auto s = Serve::start(dir_->path(), std::string(kFastConfig));
  ASSERT_TRUE(s) << s.error().message;
  const std::string body = "[" + am_alert("NodeNotReady", "node-exporter", "ip-10-0-3-8") + "," +
                           am_alert("PodCrashLooping", "checkout", "ip-10-0-3-8") + "," +
                           am_alert("PodCrashLooping", "orders", "ip-10-0-3-8") + "]";
  auto r = http_post(s->http, "/api/v2/alerts", body);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(
      eventually([&] { return metric(s->metrics(), "squall_alerts_correlated_total") == 3; }, 10s));
  // Idle event time moves on with the wall clock: the first bundle goes out without more input,
  // and its latency from the alerts' arrival is observed.
  ASSERT_TRUE(eventually(
      [&] { return metric(s->metrics(), "squall_alert_to_bundle_seconds_count") >= 1; }, 10s))
      << s->metrics();
  const std::string m = s->metrics();
  EXPECT_GE(metric(m, "squall_bundles_total"), 1);
  EXPECT_GE(metric(m, "squall_incidents_open"), 1);
  EXPECT_EQ(metric(m, "squall_incidents_open"), metric(m, "squall_incidents_opened_total"));

  const ExitStatus st = s->proc->stop(10s);
  EXPECT_TRUE(st.exited) << st.describe();
  EXPECT_EQ(st.code, 0);
  EXPECT_NE(s->log().find("stopped: 3 alerts accepted, 3 correlated"), std::string::npos)
      << s->log();

  // A new process on the same data directory still answers for the closed incident.
  auto again = Serve::start(dir_->path(), std::string(kFastConfig));
  ASSERT_TRUE(again) << again.error().message;
  auto list = http_get(again->http, "/api/v1/incidents?state=closed");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  const auto at = list->body.find("\"incident\":\"");
  ASSERT_NE(at, std::string::npos) << list->body;
  const std::string id = list->body.substr(at + 12, list->body.find('"', at + 12) - (at + 12));
  EXPECT_NE(list->body.find("\"state\":\"closed\""), std::string::npos);
  EXPECT_NE(list->body.find("ip-10-0-3-8"), std::string::npos);
  auto one = http_get(again->http, "/api/v1/incidents/" + id);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
  EXPECT_NE(one->body.find("PodCrashLooping"), std::string::npos);
  EXPECT_EQ(http_get(again->http, "/api/v1/incidents/inc-9-999")->status, 404);

  // New incidents of the second run get new ids.
  ASSERT_EQ(http_post(again->http, "/api/v2/alerts",
                      "[" + am_alert("DiskFull", "db", "ip-10-0-9-9") + "]")
                ->status,
            200);
  ASSERT_TRUE(eventually(
      [&] {
        auto o = http_get(again->http, "/api/v1/incidents?state=open");
        return o && o->body.find("DiskFull") != std::string::npos;
      },
      10s));
  auto open = http_get(again->http, "/api/v1/incidents?state=open");
  EXPECT_EQ(open->body.find("\"incident\":\"" + id + "\""), std::string::npos) << open->body;
  EXPECT_EQ(again->proc->stop(10s).code, 0);
}

// A resolved alert re-sent after its incident closed (Prometheus re-sends resolved alerts for 15
// minutes) is counted with the closed incident: no new incident opens.
TEST_F(ServeProcess, AResolvedResendAfterTheCloseOpensNoIncident) {
  auto s = Serve::start(dir_->path(),
                        "server: {tick_ms: 50ms}\n"
                        "correlate: {allowed_lateness_ms: 100ms, resolve_grace_ms: 1s}\n"
                        "bundle: {group_wait_ms: 0}\n"
                        "drafting: {workers: 0}\n");
  ASSERT_TRUE(s) << s.error().message;
  const auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  auto line = [&](const char* status) {
    return R"({"ts":)" + std::to_string(now_ms()) + R"(,"status":")" + status +
           R"(","labels":{"alertname":"HighErrorRate","service":"checkout"}})" + "\n";
  };
  auto post = [&](const std::string& body) {
    auto r = http_post(s->http, "/api/v1/alerts", body);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->status, 200) << r->body;
  };
  post(line("firing"));
  post(line("resolved"));
  ASSERT_TRUE(
      eventually([&] { return metric(s->metrics(), "squall_incidents_closed_total") == 1; }, 10s))
      << s->metrics();
  post(line("resolved"));
  ASSERT_TRUE(
      eventually([&] { return metric(s->metrics(), "squall_alerts_after_close_total") == 1; }, 10s))
      << s->metrics();
  const std::string m = s->metrics();
  EXPECT_EQ(metric(m, "squall_incidents_opened_total"), 1);
  EXPECT_EQ(metric(m, "squall_incidents_open"), 0);
  const ExitStatus st = s->proc->stop(10s);
  EXPECT_EQ(st.code, 0) << st.describe();
}

TEST_F(ServeProcess, SighupReloadsTheTopologyAndKeepsTheOldOneOnError) {
  const fs::path topo = dir_->path() / "topology.yaml";
  ASSERT_TRUE(write_file(topo, "services:\n  checkout: {depends_on: [orders]}\n  orders: {}\n"));
  auto s =
      Serve::start(dir_->path(), std::string(kFastConfig) + "topology: " + topo.string() + "\n");
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE(write_file(topo, "services:\n  checkout: {depends_on: [orders, payments]}\n"));
  ::kill(s->proc->pid(), SIGHUP);
  ASSERT_TRUE(
      eventually([&] { return metric(s->metrics(), "squall_topology_reloads_total") == 1; }, 10s))
      << s->metrics();
  ASSERT_TRUE(write_file(topo, "services: [not, a, map\n"));
  ::kill(s->proc->pid(), SIGHUP);
  ASSERT_TRUE(eventually(
      [&] { return metric(s->metrics(), "squall_topology_reload_errors_total") == 1; }, 10s));
  EXPECT_TRUE(s->proc->is_running());
  EXPECT_EQ(http_get(s->http, "/healthz")->status, 200);
  EXPECT_EQ(s->proc->stop(10s).code, 0);
}

// ---- real clients

std::optional<fs::path> tool(const char* env, const char* fallback) {
  const char* e = std::getenv(env);
  return find_executable(e && *e ? e : fallback);
}

// Starts a server binary that takes a --web.listen-address on a free port; retries when the port
// was taken meanwhile. Returns the port.
core::Result<std::uint16_t> start_web_tool(std::vector<std::string> argv, const fs::path& log,
                                           std::optional<Subprocess>& out) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto port = free_loopback_port();
    if (!port) return tl::unexpected(port.error());
    auto args = argv;
    args.push_back("--web.listen-address=127.0.0.1:" + std::to_string(*port));
    auto child = Subprocess::start(args, log);
    if (!child) return tl::unexpected(child.error());
    out.emplace(std::move(*child));
    if (eventually(
            [&] {
              if (!out->is_running()) return true;
              auto r = http_get(*port, "/-/ready", 1s);
              return r && r->status == 200;
            },
            30s) &&
        out->is_running())
      return *port;
    out->stop();
    if (read_file(log).find("address already in use") == std::string::npos)
      return core::make_error("did not start: " + read_file(log));
  }
  return core::make_error("no free port after 3 attempts");
}

TEST_F(ServeProcess, PrometheusUsesSquallAsItsAlertmanager) {
  auto prom = tool("SQUALL_PROMETHEUS", "/usr/bin/prometheus");
  ASSERT_TRUE(prom) << "prometheus not installed (tools/setup.sh installs it)";
  auto s = Serve::start(dir_->path(), std::string(kFastConfig));
  ASSERT_TRUE(s) << s.error().message;
  const fs::path p = dir_->path() / "prom";
  fs::create_directories(p);
  ASSERT_TRUE(
      write_file(p / "rules.yml",
                 "groups:\n"
                 "  - name: squall-test\n"
                 "    interval: 1s\n"
                 "    rules:\n"
                 "      - alert: DatabaseDown\n"
                 "        expr: vector(1)\n"
                 "        labels: {service: db-orders, severity: critical}\n"
                 "        annotations: {summary: db-orders is down}\n"
                 "      - alert: HighErrorRate\n"
                 "        expr: vector(1)\n"
                 "        labels: {service: orders, upstream: db-orders, severity: warning}\n"));
  ASSERT_TRUE(write_file(p / "prometheus.yml",
                         "global: {evaluation_interval: 1s, scrape_interval: 15s}\n"
                         "rule_files: [" +
                             (p / "rules.yml").string() +
                             "]\n"
                             "alerting:\n"
                             "  alertmanagers:\n"
                             "    - api_version: v2\n"
                             "      static_configs:\n"
                             "        - targets: ['127.0.0.1:" +
                             std::to_string(s->http) + "']\n"));
  std::optional<Subprocess> pp;
  auto port = start_web_tool({prom->string(), "--config.file=" + (p / "prometheus.yml").string(),
                              "--storage.tsdb.path=" + (p / "data").string(),
                              // The first send can precede discovery of squall (then it is
                              // dropped): resend every second instead of every minute.
                              "--rules.alert.resend-delay=1s"},
                             p / "prometheus.log", pp);
  ASSERT_TRUE(port) << port.error().message;
  // Prometheus posts its firing alerts to squall's /api/v2/alerts; squall correlates them.
  const bool arrived = eventually(
      [&] {
        auto r = http_get(s->http, "/api/v1/incidents");
        return r && r->body.find("DatabaseDown") != std::string::npos &&
               r->body.find("HighErrorRate") != std::string::npos;
      },
      60s);
  EXPECT_TRUE(arrived) << http_get(s->http, "/api/v1/incidents")->body << "\n"
                       << read_file(p / "prometheus.log").substr(0, 8000);
  const std::string m = s->metrics();
  EXPECT_GE(metric(m, "squall_alerts_received_total{listener=\"http\"}"), 2) << m;
  EXPECT_EQ(metric(m, "squall_http_responses_total{code=\"400\"}"), 0);
  // One fault (the datastore and its caller): one incident.
  auto open = http_get(s->http, "/api/v1/incidents");
  std::size_t incidents = 0;
  for (auto at = open->body.find("\"incident\":"); at != std::string::npos;
       at = open->body.find("\"incident\":", at + 1))
    ++incidents;
  EXPECT_EQ(incidents, 1u) << open->body;
  pp->stop();
  EXPECT_EQ(s->proc->stop(10s).code, 0);
}

TEST_F(ServeProcess, AlertmanagerForwardsItsWebhookToSquall) {
  auto am = tool("SQUALL_ALERTMANAGER", "/usr/bin/prometheus-alertmanager");
  ASSERT_TRUE(am) << "prometheus-alertmanager not installed (tools/setup.sh installs it)";
  auto s = Serve::start(dir_->path(), std::string(kFastConfig));
  ASSERT_TRUE(s) << s.error().message;
  const fs::path a = dir_->path() / "am";
  fs::create_directories(a);
  ASSERT_TRUE(write_file(a / "am.yml",
                         "route:\n"
                         "  receiver: squall\n"
                         "  group_by: ['...']\n"
                         "  group_wait: 0s\n"
                         "  group_interval: 1s\n"
                         "  repeat_interval: 1h\n"
                         "receivers:\n"
                         "  - name: squall\n"
                         "    webhook_configs:\n"
                         "      - url: http://127.0.0.1:" +
                             std::to_string(s->http) + "/api/v1/webhook\n"));
  std::optional<Subprocess> ap;
  auto port =
      start_web_tool({am->string(), "--config.file=" + (a / "am.yml").string(),
                      "--storage.path=" + (a / "data").string(), "--cluster.listen-address="},
                     a / "am.log", ap);
  ASSERT_TRUE(port) << port.error().message;
  const std::string body = "[" + am_alert("NodeNotReady", "node-exporter", "ip-10-0-3-8") + "," +
                           am_alert("PodCrashLooping", "checkout", "ip-10-0-3-8") + "]";
  auto r = http_post(*port, "/api/v2/alerts", body);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const bool arrived = eventually(
      [&] {
        auto l = http_get(s->http, "/api/v1/incidents");
        return l && l->body.find("NodeNotReady") != std::string::npos &&
               l->body.find("PodCrashLooping") != std::string::npos;
      },
      60s);
  EXPECT_TRUE(arrived) << http_get(s->http, "/api/v1/incidents")->body << "\n"
                       << read_file(a / "am.log").substr(0, 8000);
  const std::string m = s->metrics();
  EXPECT_GE(metric(m, "squall_alerts_received_total{listener=\"http\"}"), 2) << m;
  EXPECT_EQ(metric(m, "squall_http_responses_total{code=\"400\"}"), 0) << m;
  ap->stop();
  EXPECT_EQ(s->proc->stop(10s).code, 0);
}

}  // namespace
}  // namespace squall::integration
