// `squall draft-worker`: connects to a serve's drafting queue, takes one bundle at a time, drafts
// it with the configured drafter (plugins/drafters), grounds it, and sends the draft back to be
// stored. Protocol: tools/serve/draft_pool.h. A worker never acts: it only writes drafts.
#include "tools/draft_worker/draft_worker.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <simdjson.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/core/json_writer.h"
#include "io/config_loader.h"
#include "io/net/stream_address.h"
#include "plugins/drafters/registry.h"

namespace squall::draft_worker {
namespace {

bool send_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads one '\n'-terminated line into `line`; false on EOF or error.
bool read_line(int fd, std::string& buf, std::string& line) {
  for (;;) {
    if (const auto nl = buf.find('\n'); nl != std::string::npos) {
      line.assign(buf, 0, nl);
      buf.erase(0, nl + 1);
      return true;
    }
    char tmp[64 * 1024];
    const ssize_t n = ::read(fd, tmp, sizeof tmp);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buf.append(tmp, static_cast<std::size_t>(n));
  }
}

drafters::DrafterConfig drafter_config(const io::DraftingConfig& d, std::string& err) {
  drafters::DrafterConfig c;
  c.name = d.drafter;
  c.model = d.model;
  c.base_url = d.base_url;
  c.api_key_env = d.api_key_env;
  c.timeout_ms = d.timeout_ms;
  c.max_retries = static_cast<int>(d.max_retries);
  c.max_concurrency = static_cast<int>(d.max_concurrency);
  c.tokens_per_minute = d.tokens_per_minute;
  for (const auto& [kind, action] : d.runbook)
    if (auto ok = drafters::apply_option(c, "runbook", kind + "=" + action); !ok) {
      err = "drafting.runbook: " + ok.error().message;
      break;
    }
  return c;
}

}  // namespace

int run_draft_worker(const WorkerOptions& o, std::FILE* err) {
  std::signal(SIGPIPE, SIG_IGN);
  io::ServeConfig cfg;
  if (!o.config.empty())
    if (auto ok = io::load_serve_config(o.config, cfg); !ok) {
      std::fprintf(err, "squall draft-worker: %s\n", ok.error().message.c_str());
      return 2;
    }
  if (!o.drafter.empty()) cfg.drafting.drafter = o.drafter;
  if (!o.model.empty()) cfg.drafting.model = o.model;
  if (!o.base_url.empty()) cfg.drafting.base_url = o.base_url;
  std::string cerr_msg;
  const drafters::DrafterConfig dc = drafter_config(cfg.drafting, cerr_msg);
  if (!cerr_msg.empty()) {
    std::fprintf(err, "squall draft-worker: %s\n", cerr_msg.c_str());
    return 2;
  }
  auto drafter = drafters::make_drafter(dc);
  if (!drafter) {
    std::fprintf(err, "squall draft-worker: drafting: %s\n", drafter.error().message.c_str());
    return 2;
  }
  const std::string addr = o.connect.empty() ? "unix:" + cfg.data + "/draft.sock" : o.connect;
  auto address = net::parse_stream_address(addr, "--connect");
  if (!address) {
    std::fprintf(err, "squall draft-worker: %s\n", address.error().message.c_str());
    return 2;
  }

  simdjson::dom::parser parser;
  int backoff_ms = 100;
  std::uint64_t drafted = 0;
  for (;;) {
    auto connected = net::connect_stream(*address);
    if (!connected) {
      if (o.exit_on_disconnect) {
        std::fprintf(err, "squall draft-worker: --connect %s: %s\n", addr.c_str(),
                     connected.error().message.c_str());
        return 1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min(backoff_ms * 2, 5000);
      continue;
    }
    const int fd = *connected;
    backoff_ms = 100;
    std::string hello;
    core::JsonWriter h(hello);
    h.begin_object()
        .kv("type", "hello")
        .kv("pid", static_cast<std::int64_t>(::getpid()))
        .kv("drafter", (*drafter)->name())
        .end_object();
    hello += "\n{\"type\":\"ready\"}\n";
    bool ok = send_all(fd, hello);
    std::string buf, line;
    while (ok && read_line(fd, buf, line)) {
      simdjson::dom::element msg;
      std::string_view type;
      if (parser.parse(line).get(msg) != simdjson::SUCCESS ||
          msg["type"].get(type) != simdjson::SUCCESS)
        continue;
      if (type == "stored") {
        ok = send_all(fd, "{\"type\":\"ready\"}\n");
        continue;
      }
      if (type != "bundle") continue;
      std::uint64_t delivery = 0;
      simdjson::dom::element bundle;
      if (msg["delivery"].get(delivery) != simdjson::SUCCESS ||
          msg["bundle"].get(bundle) != simdjson::SUCCESS)
        continue;
      const std::string bundle_json = simdjson::minify(bundle);
      if (o.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(o.delay_ms));
      auto result = (*drafter)->draft(bundle_json);
      if (!result) {
        // Not acknowledged: the lease gives the bundle to another worker.
        std::fprintf(err, "squall draft-worker: draft failed: %s\n",
                     result.error().message.c_str());
        ok = send_all(fd, "{\"type\":\"ready\"}\n");
        continue;
      }
      std::string record;
      drafters::to_json(result->record, record);
      const std::string out = "{\"type\":\"draft\",\"delivery\":" + std::to_string(delivery) +
                              ",\"draft\":" + drafters::to_json(result->draft) +
                              ",\"record\":" + record + "}\n";
      ok = send_all(fd, out);
      ++drafted;
      if (o.max_drafts > 0 && drafted >= o.max_drafts) {
        ::close(fd);
        return 0;
      }
    }
    ::close(fd);
    if (o.exit_on_disconnect) return 0;
  }
}

void register_draft_worker_command(CLI::App& app) {
  auto o = std::make_shared<WorkerOptions>();
  CLI::App* cmd = app.add_subcommand(
      "draft-worker",
      "Draft incident summaries for a human: take bundles from a serve's drafting queue, write a "
      "draft with the chosen drafter (evidence: deterministic, no network; anthropic, openai: an "
      "LLM, grounded against the bundle), send it back to be stored. Never acts.");
  cmd->add_option("--connect", o->connect,
                  "the serve's drafting queue: unix:PATH or tcp://IP:PORT (default "
                  "unix:<server.data>/draft.sock)");
  cmd->add_option("--drafter", o->drafter, "evidence | anthropic | openai (overrides the config)")
      ->check(CLI::IsMember({"evidence", "anthropic", "openai"}));
  cmd->add_option("--config", o->config, "serve's YAML config (its drafting section is used)");
  cmd->add_option("--model", o->model, "the LLM's model");
  cmd->add_option("--base-url", o->base_url, "the LLM API's base URL");
  cmd->add_flag("--exit-on-disconnect", o->exit_on_disconnect,
                "exit when the serve closes the connection (workers started by serve)");
  cmd->add_option("--delay-ms", o->delay_ms, "testing: wait this long before each draft")
      ->check(CLI::Range(0, 600000));
  cmd->add_option("--max-drafts", o->max_drafts, "exit after this many drafts (0: never)");
  cmd->callback([o] {
    const int code = run_draft_worker(*o, stderr);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

}  // namespace squall::draft_worker
