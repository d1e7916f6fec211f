// The corpus regression runner: a main() for a fuzz target built without libFuzzer (gcc, the
// normal build). It calls LLVMFuzzerTestOneInput on every file of the directories given, so
// `make test` replays every kept input (fuzz/corpus/<target>/); a crash or trap fails the test.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
      if (!entry.is_regular_file()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
      ++count;
    }
  }
  std::printf("replayed %zu corpus file(s) without a crash\n", count);
  return count > 0 ? 0 : 1;  // an empty corpus is a broken test, not a pass
}
