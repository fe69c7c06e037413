// Runs a fuzz target over files without libFuzzer: `make test` replays the seed corpus through
// every target with the ordinary (and sanitizer) builds, so the targets never rot between `make
// fuzz` runs.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  std::size_t runs = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
      std::ifstream f(entry.path(), std::ios::binary);
      const std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
      // Every prefix too: truncated input is the commonest real-world corruption.
      for (std::size_t n = 0; n < data.size(); n += 7)
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()), n);
      ++runs;
    }
  }
  std::printf("replayed %zu inputs\n", runs);
  return runs > 0 ? 0 : 1;
}
