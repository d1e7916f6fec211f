// See board_assets.h. The arrays themselves are generated into the build tree
// (board_assets_data.cpp) by broker/board/embed_assets.cmake.
#include "broker/board/board_assets.h"

namespace samband::broker {

extern const BoardAsset kBoardAssets[];
extern const size_t kBoardAssetCount;

const BoardAsset* findBoardAsset(const std::string& path) {
  for (size_t i = 0; i < kBoardAssetCount; ++i) {
    if (path == kBoardAssets[i].path) return &kBoardAssets[i];
  }
  return nullptr;
}

std::string boardAssetRoute() {
  std::string names;
  for (size_t i = 0; i < kBoardAssetCount; ++i) {
    const std::string path = kBoardAssets[i].path;
    if (path == "/index.html") continue;
    if (!names.empty()) names += '|';
    for (char c : path.substr(1)) {
      // Asset names are letters, digits, '-', '_' and '.'; only the dot means something in a regex.
      if (c == '.') names += '\\';
      names += c;
    }
  }
  return "/(" + names + ")";
}

}  // namespace samband::broker
