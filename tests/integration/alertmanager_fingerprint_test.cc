// squall's label-set fingerprint is Alertmanager's: a real Alertmanager (Debian's 0.25, installed
// by tools/setup.sh) receives varied alerts on /api/v2/alerts and sends them back through a
// webhook; the fingerprint it reports for every alert must equal the one squall computes, both from
// the webhook payload and from the original POST body.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "engine/core/alert.h"
#include "engine/core/fingerprint.h"
#include "engine/core/interner.h"
#include "engine/core/json_writer.h"
#include "engine/core/time.h"
#include "engine/parse/parser.h"
#include "tests/integration/http_util.h"
#include "tests/integration/subprocess.h"

namespace squall::integration {
namespace {

using namespace std::chrono_literals;
using LabelMap = std::map<std::string, std::string>;

constexpr std::string_view kDefaultAlertmanager = "/usr/bin/prometheus-alertmanager";
constexpr auto kReadyTimeout = 20s;
constexpr auto kDeliveryTimeout = 30s;
constexpr int kStartAttempts = 3;  // a free port can be taken before Alertmanager binds it

// One alert to send. `labels` are in the order they are written to JSON (alertname and case
// included). When `raw_labels` is set, it is sent verbatim as the `labels` object and `labels`
// holds what it decodes to.
struct LabelCase {
  std::string name;  // the value of the `case` label, unique
  std::vector<std::pair<std::string, std::string>> labels;
  std::string raw_labels;
};

std::vector<LabelCase> make_cases() {
  std::vector<LabelCase> cases;
  cases.push_back({"plain",
                   {{"alertname", "HighErrorRate"},
                    {"case", "plain"},
                    {"service", "checkout"},
                    {"severity", "critical"},
                    {"instance", "10.0.3.8:9100"}},
                   {}});

  LabelCase many{"many", {{"alertname", "ManyLabels"}, {"case", "many"}}, {}};
  for (int i = 39; i >= 0; --i) {  // written in descending order, sorted by both sides
    const std::string idx = (i < 10 ? "0" : "") + std::to_string(i);
    many.labels.emplace_back("label_" + idx, "value-" + std::to_string(i * 37));
  }
  cases.push_back(std::move(many));

  cases.push_back({"unicode",
                   {{"alertname", "Unicode"},
                    {"case", "unicode"},
                    {"city", "Montréal"},
                    {"region", "日本"},
                    {"emoji", "🔥 on fire"},
                    {"latin", "ÿ ß Ω"}},
                   {}});

  // JsonWriter escapes these as \" \\ \n \t \u0001.
  cases.push_back({"escapes",
                   {{"alertname", "Escapes"},
                    {"case", "escapes"},
                    {"quote", "say \"hi\""},
                    {"backslash", "C:\\path\\to\\"},
                    {"newline", "line1\nline2\n"},
                    {"tab", "a\tb"},
                    {"control",
                     "\x01"
                     "bell"},
                    {"matcher_like", "{a=\"b\",c!~\"d\"}"}},
                   {}});

  // Escapes as other clients write them: \u for BMP and a surrogate pair, \/ and upper-case hex.
  cases.push_back({"json_escapes",
                   {{"alertname", "JsonEscapes"},
                    {"case", "json_escapes"},
                    {"e_acute", "café"},
                    {"surrogate", "🔥"},
                    {"all_short", "\"\\/\b\f\n\r\t"},
                    {"upper_hex", "éé"}},
                   R"({"alertname":"JsonEscapes","case":"json_\u0065scapes","e_acute":"caf\u00e9",)"
                   R"("surrogate":"\ud83d\udd25","all_short":"\"\\\/\b\f\n\r\t",)"
                   R"("upper_hex":"\u00E9\u00e9"})"});

  std::string long_value;
  for (int i = 0; i < 1000; ++i) long_value += static_cast<char>('a' + i % 26);
  cases.push_back({"long",
                   {{"alertname", "LongValue"},
                    {"case", "long"},
                    {"long_value", long_value},
                    {std::string(100, 'n'), "long name"}},
                   {}});

  // Keys out of order, with names whose byte order differs from case-insensitive or "natural"
  // order: '0'-'9' < 'A'-'Z' < '_' < 'a'-'z'.
  cases.push_back({"order",
                   {{"zulu", "1"},
                    {"case", "order"},
                    {"Alpha", "2"},
                    {"alertname", "Order"},
                    {"a_b", "3"},
                    {"aa", "4"},
                    {"a", "5"},
                    {"_under", "6"},
                    {"B", "7"},
                    {"a1", "8"},
                    {"a0", "9"}},
                   {}});

  // Alertmanager drops labels with empty values; squall treats empty as absent.
  cases.push_back({"empty_value",
                   {{"alertname", "EmptyValue"},
                    {"case", "empty_value"},
                    {"dropped", ""},
                    {"present", "yes"},
                    {"also_dropped", ""}},
                   {}});

  cases.push_back({"names",
                   {{"alertname", "Names"},
                    {"case", "names"},
                    {"_leading", "x"},
                    {"__double", "y"},
                    {"x1_2_3", "z"},
                    {"UPPER_9", "w"},
                    {"a9b8c7", "v"}},
                   {}});

  // The 0xff separator keeps {ab="c"} and {a="bc"} apart.
  cases.push_back({"sep_1", {{"alertname", "Separator"}, {"case", "sep_1"}, {"ab", "c"}}, {}});
  cases.push_back({"sep_2", {{"alertname", "Separator"}, {"case", "sep_2"}, {"a", "bc"}}, {}});

  cases.push_back({"minimal", {{"alertname", "Minimal"}, {"case", "minimal"}}, {}});

  cases.push_back({"punctuation",
                   {{"alertname", "Punctuation"},
                    {"case", "punctuation"},
                    {"threshold", "0.95"},
                    {"spaced", "  leading and trailing  "},
                    {"pairs", "a=b,c=d;e:f"},
                    {"url", "http://example.com/path?q=1&r=2#frag"}},
                   {}});
  return cases;
}

// The label set Alertmanager keeps: empty values dropped.
LabelMap expected_labels(const LabelCase& c) {
  LabelMap m;
  for (const auto& [name, value] : c.labels)
    if (!value.empty()) m[name] = value;
  return m;
}

// Computed here from the expectation, independently of the parser: std::map orders names by bytes.
std::string fingerprint_of(const LabelMap& labels) {
  core::FingerprintBuilder fp;
  for (const auto& [name, value] : labels) fp.add(name, value);
  char hex[16];
  core::format_fingerprint(fp.value(), hex);
  return std::string(hex, sizeof hex);
}

std::string hex_of(core::Fingerprint fp) {
  char hex[16];
  core::format_fingerprint(fp, hex);
  return std::string(hex, sizeof hex);
}

bool is_fingerprint_hex(std::string_view s) {
  if (s.size() != 16) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string alerts_body(const std::vector<LabelCase>& cases, std::int64_t now_ms) {
  std::string body;
  core::JsonWriter w(body);
  w.begin_array();
  for (const LabelCase& c : cases) {
    w.begin_object().key("labels");
    if (!c.raw_labels.empty()) {
      w.raw(c.raw_labels);
    } else {
      w.begin_object();
      for (const auto& [name, value] : c.labels) w.kv(name, std::string_view(value));
      w.end_object();
    }
    // Annotations never take part in the fingerprint: each alert gets a different one.
    w.key("annotations").begin_object().kv("summary", std::string_view("case " + c.name));
    w.end_object();
    w.kv("startsAt", std::string_view(core::format_rfc3339_ms(now_ms - 60'000)));
    w.kv("endsAt", std::string_view(core::format_rfc3339_ms(now_ms + 3'600'000)));
    w.kv("generatorURL", "http://squall.test/graph");
    w.end_object();
  }
  w.end_array();
  return body;
}

// One alert of a webhook payload, as Alertmanager wrote it.
struct WebhookAlert {
  std::string status;
  std::string fingerprint;
  LabelMap labels;
};

core::Result<std::vector<WebhookAlert>> read_webhook_alerts(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(body).get(doc))
    return core::make_error(std::string("webhook body is not JSON: ") +
                            simdjson::error_message(err));
  simdjson::dom::array alerts;
  if (doc["alerts"].get(alerts)) return core::make_error("webhook body has no `alerts` array");
  std::vector<WebhookAlert> out;
  for (simdjson::dom::element a : alerts) {
    WebhookAlert wa;
    std::string_view s;
    if (a["status"].get(s)) return core::make_error("webhook alert without string `status`");
    wa.status = s;
    if (a["fingerprint"].get(s)) return core::make_error("webhook alert without `fingerprint`");
    wa.fingerprint = s;
    simdjson::dom::object labels;
    if (a["labels"].get(labels)) return core::make_error("webhook alert without `labels` object");
    for (auto field : labels) {
      std::string_view value;
      if (field.value.get(value)) return core::make_error("webhook label value not a string");
      wa.labels[std::string(field.key)] = std::string(value);
    }
    out.push_back(std::move(wa));
  }
  return out;
}

// case label -> squall's fingerprint, for every alert of `batch`.
std::map<std::string, std::string> squall_fingerprints(const core::AlertBatch& batch,
                                                       const core::Interner& interner) {
  std::map<std::string, std::string> out;
  bool found = false;
  const core::Sym case_sym = interner.find("case", &found);
  if (!found) return out;
  for (const core::Alert& a : batch.alerts) {
    const core::Sym v = batch.label(a, case_sym);
    if (v != 0) out[std::string(interner.view(v))] = hex_of(a.fingerprint);
  }
  return out;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string config_yaml(std::uint16_t hook_port) {
  return "route:\n"
         "  receiver: squall-hook\n"
         "  group_by: ['...']\n"  // every alert is its own group
         "  group_wait: 0s\n"
         "  group_interval: 1s\n"
         "  repeat_interval: 1h\n"
         "receivers:\n"
         "  - name: squall-hook\n"
         "    webhook_configs:\n"
         "      - url: http://127.0.0.1:" +
         std::to_string(hook_port) +
         "/hook\n"
         "        send_resolved: true\n";
}

class AlertmanagerInterop : public ::testing::Test {
 protected:
  void TearDown() override {
    if (am_) am_->stop();
    if (HasFailure()) {
      if (!log_path_.empty()) {
        std::string log = read_file(log_path_);
        if (log.size() > 16 * 1024) log = "...\n" + log.substr(log.size() - 16 * 1024);
        std::cerr << "---- alertmanager log (" << log_path_.string() << ") ----\n"
                  << log << "----\n";
      }
      if (hook_) {
        for (const HttpRequest& r : hook_->requests())
          std::cerr << "---- webhook " << r.method << " " << r.target << " ----\n"
                    << r.body.substr(0, 4096) << "\n";
      }
    }
  }

  // Starts Alertmanager on a free loopback port and waits until it is ready.
  core::Result<void> start_alertmanager(const std::filesystem::path& binary,
                                        const std::filesystem::path& config) {
    const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
    std::string last_error;
    for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
      auto port = free_loopback_port();
      if (!port) return tl::unexpected(port.error());
      std::vector<std::string> argv = {
          binary.string(),
          "--config.file=" + config.string(),
          "--storage.path=" + (dir_->path() / "data").string(),
          "--web.listen-address=127.0.0.1:" + std::to_string(*port),
          "--cluster.listen-address=",  // empty: no gossip, no peers
          "--log.level=debug",
      };
      auto child = Subprocess::start(argv, log_path_);
      if (!child) return tl::unexpected(child.error());
      am_.emplace(std::move(*child));
      am_port_ = *port;
      while (std::chrono::steady_clock::now() < deadline) {
        if (!am_->is_running()) break;
        auto r = http_get(am_port_, "/-/ready", 1s);
        if (r && r->status == 200) return {};
        last_error = r ? "GET /-/ready: " + std::to_string(r->status) : r.error().message;
        std::this_thread::sleep_for(50ms);
      }
      if (am_->is_running())
        return core::make_error("alertmanager not ready within " +
                                std::to_string(kReadyTimeout.count()) + "s (last: " + last_error +
                                ")");
      const ExitStatus status = am_->stop();
      if (read_file(log_path_).find("address already in use") == std::string::npos)
        return core::make_error("alertmanager exited during startup: " + status.describe());
    }
    return core::make_error("alertmanager could not bind a free port in " +
                            std::to_string(kStartAttempts) + " attempts");
  }

  std::optional<TempDir> dir_;
  std::filesystem::path log_path_;
  std::unique_ptr<RecordingHttpServer> hook_;
  std::optional<Subprocess> am_;  // declared last: stopped first
  std::uint16_t am_port_ = 0;
};

TEST_F(AlertmanagerInterop, FingerprintsMatchAlertmanagers) {
  const char* env = std::getenv("SQUALL_ALERTMANAGER");
  const std::string wanted =
      env != nullptr && *env != '\0' ? env : std::string(kDefaultAlertmanager);
  std::optional<std::filesystem::path> binary = find_executable(wanted);
  if (!binary) binary = find_executable("alertmanager");
  ASSERT_TRUE(binary.has_value())
      << "Alertmanager binary not found (looked for " << wanted << " and `alertmanager` in PATH). "
      << "Run tools/setup.sh, which installs the Debian package prometheus-alertmanager, or set "
         "SQUALL_ALERTMANAGER to an alertmanager binary.";

  auto dir = TempDir::create("squall-am-");
  ASSERT_TRUE(dir) << dir.error().message;
  dir_.emplace(std::move(*dir));
  log_path_ = dir_->path() / "alertmanager.log";

  auto hook = RecordingHttpServer::start();
  ASSERT_TRUE(hook) << hook.error().message;
  hook_ = std::move(*hook);

  const std::filesystem::path config = dir_->path() / "alertmanager.yml";
  ASSERT_TRUE(write_file(config, config_yaml(hook_->port())));
  auto started = start_alertmanager(*binary, config);
  ASSERT_TRUE(started) << started.error().message;

  const std::vector<LabelCase> cases = make_cases();
  std::map<std::string, LabelMap> expected;
  for (const LabelCase& c : cases) expected[c.name] = expected_labels(c);
  ASSERT_EQ(expected.size(), cases.size()) << "case names must be unique";

  const std::int64_t sent_ms = now_ms();
  const std::string body = alerts_body(cases, sent_ms);
  auto posted = http_post(am_port_, "/api/v2/alerts", body);
  ASSERT_TRUE(posted) << posted.error().message;
  ASSERT_EQ(posted->status, 200) << posted->body << "\nrequest body:\n" << body;

  // Until every case has come back through the webhook.
  const bool all_seen = hook_->wait_until(
      [&](const std::vector<HttpRequest>& requests) {
        std::set<std::string> seen;
        for (const HttpRequest& r : requests) {
          auto alerts = read_webhook_alerts(r.body);
          if (!alerts) continue;
          for (const WebhookAlert& a : *alerts)
            if (auto it = a.labels.find("case"); it != a.labels.end()) seen.insert(it->second);
        }
        for (const LabelCase& c : cases)
          if (!seen.contains(c.name)) return false;
        return true;
      },
      kDeliveryTimeout);
  ASSERT_TRUE(all_seen) << "not every alert came back through the webhook within "
                        << kDeliveryTimeout.count() << "s";

  // 1. Every alert of every webhook payload: Alertmanager's fingerprint == squall's, from the
  // payload.
  core::Interner interner;
  parse::Parser parser(interner);
  core::AlertBatch batch;
  std::map<std::string, std::string> am_fingerprint;  // case -> as Alertmanager reported it
  std::size_t webhook_alerts = 0;
  for (const HttpRequest& r : hook_->requests()) {
    SCOPED_TRACE("webhook body: " + r.body.substr(0, 2048));
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/hook");
    auto alerts = read_webhook_alerts(r.body);
    ASSERT_TRUE(alerts) << alerts.error().message;

    batch.clear();
    const parse::BodyResult result = parser.parse_webhook(r.body, batch, now_ms());
    ASSERT_TRUE(result.body_ok) << parse::reject_reason(result.first_reason);
    EXPECT_EQ(result.rejected, 0u)
        << parse::reject_reason(result.first_reason) << " at " << result.first_index;
    ASSERT_EQ(result.accepted, alerts->size());
    const std::map<std::string, std::string> squall_fp = squall_fingerprints(batch, interner);

    for (const WebhookAlert& a : *alerts) {
      ++webhook_alerts;
      ASSERT_TRUE(is_fingerprint_hex(a.fingerprint)) << a.fingerprint;
      const auto case_it = a.labels.find("case");
      ASSERT_NE(case_it, a.labels.end()) << "an alert we did not send";
      const std::string& name = case_it->second;
      SCOPED_TRACE("case " + name);
      ASSERT_TRUE(expected.contains(name)) << "unknown case";
      EXPECT_EQ(a.status, "firing");
      // The label set Alertmanager kept is the one we sent, empty values dropped.
      EXPECT_EQ(a.labels, expected.at(name));
      ASSERT_TRUE(squall_fp.contains(name)) << "squall lost the alert";
      EXPECT_EQ(squall_fp.at(name), a.fingerprint);
      EXPECT_EQ(fingerprint_of(a.labels), a.fingerprint) << "core::FingerprintBuilder disagrees";
      const auto [it, inserted] = am_fingerprint.emplace(name, a.fingerprint);
      if (!inserted) {
        EXPECT_EQ(it->second, a.fingerprint) << "Alertmanager changed its mind";
      }
    }
  }
  EXPECT_GE(webhook_alerts, cases.size());
  ASSERT_EQ(am_fingerprint.size(), cases.size());
  std::set<std::string> distinct;
  for (const auto& [name, fp] : am_fingerprint) distinct.insert(fp);
  EXPECT_EQ(distinct.size(), cases.size()) << "two label sets share a fingerprint";

  // 2. The body we POSTed, read by squall as Alertmanager v2: same fingerprint for every label set.
  batch.clear();
  const parse::BodyResult result = parser.parse_alertmanager_v2(body, batch, sent_ms);
  ASSERT_TRUE(result.body_ok) << parse::reject_reason(result.first_reason);
  EXPECT_EQ(result.rejected, 0u) << parse::reject_reason(result.first_reason) << " at "
                                 << result.first_index;
  ASSERT_EQ(result.accepted, cases.size());
  const std::map<std::string, std::string> sent_fp = squall_fingerprints(batch, interner);
  ASSERT_EQ(sent_fp.size(), cases.size());
  std::size_t matched = 0;
  for (const auto& [name, fp] : sent_fp) {
    SCOPED_TRACE("case " + name);
    ASSERT_TRUE(am_fingerprint.contains(name));
    EXPECT_EQ(fp, am_fingerprint.at(name));
    matched += fp == am_fingerprint.at(name) ? 1 : 0;
  }
  EXPECT_EQ(matched, cases.size());

  // Alertmanager shuts down cleanly on SIGTERM.
  const ExitStatus exit = am_->stop();
  EXPECT_TRUE(exit.exited && exit.code == 0) << exit.describe();
}

}  // namespace
}  // namespace squall::integration
