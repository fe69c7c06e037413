// squall: the command line. Each subcommand lives in its own module and registers itself here,
// explicitly (no static-initializer tricks).
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "tools/draft_worker/draft_worker.h"
#include "tools/eval/eval_command.h"
#include "tools/replay/replay_command.h"
#include "tools/report/report.h"
#include "tools/serve/serve.h"
#include "tools/storm/storm_command.h"

int main(int argc, char** argv) {
  CLI::App app{
      "squall: streaming alert correlation. Many alerts in, few incidents out, a human decides."};
  app.require_subcommand(1);
  app.set_version_flag("--version", "squall 0.1.0");
  squall::storm::register_storm_command(app);
  squall::replay::register_replay_command(app);
  squall::eval::register_eval_command(app);
  squall::serve::register_serve_command(app, argc > 0 ? argv[0] : nullptr);
  squall::draft_worker::register_draft_worker_command(app);
  squall::report::register_report_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "squall: %s\n", e.what());
    return 1;
  }
  return 0;
}
