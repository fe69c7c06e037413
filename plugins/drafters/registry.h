#pragma once
// The drafter registry: every drafter squall knows, listed explicitly (no static-initializer
// registration). Adding a drafter is one line in registry.cc.
#include <memory>
#include <string_view>
#include <vector>

#include "engine/core/result.h"
#include "plugins/drafters/common/config.h"
#include "plugins/drafters/common/drafter.h"

namespace squall::drafters {

// Validates `config` and builds the drafter it names. Errors: a bad config, an unknown name, or
// (anthropic, openai) no API key in the environment for a non-local base_url. Call at startup;
// share the drafter among threads (see Drafter's thread contract).
[[nodiscard]] core::Result<std::unique_ptr<Drafter>> make_drafter(const DrafterConfig& config);

// The names make_drafter accepts.
[[nodiscard]] const std::vector<std::string_view>& drafter_names();

}  // namespace squall::drafters
