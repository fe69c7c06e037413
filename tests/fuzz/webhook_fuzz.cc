#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return squall::fuzz::run_one(data, size, [](auto& parser, std::string_view in, auto& batch) {
    return parser.parse_webhook(in, batch, 1764000000000LL);
  });
}
