// See board_assets.h. The arrays themselves are generated into the build tree
// (kBoardAssets_data.cpp) by web/embed_assets.cmake.
#include "broker/board/board_assets.h"

namespace samband::broker {

extern const web::EmbeddedAsset kBoardAssets[];
extern const size_t kBoardAssetsCount;

const BoardAsset* findBoardAsset(const std::string& path) {
  return web::findEmbeddedAsset(kBoardAssets, kBoardAssetsCount, path);
}

std::string boardAssetRoute() { return web::embeddedAssetRoute(kBoardAssets, kBoardAssetsCount); }

}  // namespace samband::broker
