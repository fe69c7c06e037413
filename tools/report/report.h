#pragma once
// `squall report`: a serve data directory's incidents and drafts, for a person.
#include <cstddef>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

namespace squall::report {

struct ReportOptions {
  std::string data = "./squall-data";
  std::string state;     // "", open, closed
  std::size_t top = 10;  // 0: all
};

int run_report(const ReportOptions& options, std::FILE* out, std::FILE* err);
void register_report_command(CLI::App& app);

}  // namespace squall::report
