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

}  // namespace samband::broker
