#pragma once
// `squall draft-worker`: a separate process that turns incident bundles into drafts.
#include <cstdint>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

namespace squall::draft_worker {

struct WorkerOptions {
  std::string connect;  // unix:PATH | tcp://IP:PORT; "" = unix:<data>/draft.sock
  std::string drafter, config, model, base_url;
  bool exit_on_disconnect = false;
  int delay_ms = 0;
  std::uint64_t max_drafts = 0;
};

int run_draft_worker(const WorkerOptions& options, std::FILE* err);
void register_draft_worker_command(CLI::App& app);

}  // namespace squall::draft_worker
