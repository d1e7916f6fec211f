// The board's page (HTML, CSS, JavaScript modules, icon), embedded in the binary at build time
// from broker/board/assets/ by web/embed_assets.cmake: in a crisis the internet may be gone, so
// the board loads nothing from anywhere else.
#pragma once

#include <string>

#include "web/embedded_asset.h"

namespace samband::broker {

using BoardAsset = web::EmbeddedAsset;

// The asset served at `path`, or nullptr.
const BoardAsset* findBoardAsset(const std::string& path);

// The route (an httplib path regex) that matches the path of every embedded asset but the page
// itself ("/index.html", served at "/" too): e.g. "/(board\.css|board\.js|icon\.svg)".
std::string boardAssetRoute();

}  // namespace samband::broker
