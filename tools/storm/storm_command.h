#pragma once
// `squall storm`: writes a synthetic alert storm with ground truth (see tools/storm/storm.h).
#include <CLI/CLI.hpp>

namespace squall::storm {

void register_storm_command(CLI::App& app);

}  // namespace squall::storm
