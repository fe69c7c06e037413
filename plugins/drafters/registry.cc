#include "plugins/drafters/registry.h"

#include "plugins/drafters/anthropic/anthropic_drafter.h"
#include "plugins/drafters/evidence/evidence_drafter.h"
#include "plugins/drafters/openai/openai_drafter.h"

namespace squall::drafters {

const std::vector<std::string_view>& drafter_names() {
  static const std::vector<std::string_view> names = {"evidence", "anthropic", "openai"};
  return names;
}

core::Result<std::unique_ptr<Drafter>> make_drafter(const DrafterConfig& config) {
  if (auto ok = validate(config); !ok) return tl::unexpected(ok.error());
  if (config.name == "evidence") return std::unique_ptr<Drafter>(new EvidenceDrafter(config));
  if (config.name == "anthropic") return AnthropicDrafter::create(config);
  if (config.name == "openai") return OpenAiDrafter::create(config);
  return core::make_error("drafter.name: unknown drafter '" + config.name + "'");
}

}  // namespace squall::drafters
