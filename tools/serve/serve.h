#pragma once
// `squall serve`: the live engine. Listeners (TCP NDJSON, UDP, HTTP) feed the pipeline; bundles go
// to the incident store and the bundle log; the HTTP API reads incidents back; SIGTERM drains and
// exits 0; SIGHUP reloads the topology.
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace squall::serve {

struct ServeOptions {
  std::string config;  // YAML file; flags below override it
  std::string http, tcp, udp, data, topology;
  bool http_set = false, tcp_set = false, udp_set = false;
  unsigned io_threads = 0, shard_threads = 0;  // 0: from the config
  int drafting_workers = -1;                   // -1: from the config
  int worker_delay_ms = 0;                     // testing: passed to the workers as --delay-ms
  std::string self_exe;                        // this binary, for the draft workers it starts
};

// Runs until SIGTERM/SIGINT; returns the exit code.
int run_serve(const ServeOptions& options, std::FILE* err);

void register_serve_command(CLI::App& app, const char* argv0);

}  // namespace squall::serve
