// The board's page (HTML, CSS, JavaScript modules, icon), embedded in the binary at build time
// from broker/board/assets/ by broker/board/embed_assets.cmake: in a crisis the internet may be
// gone, so the board loads nothing from anywhere else.
#pragma once

#include <cstddef>
#include <string>

namespace samband::broker {

struct BoardAsset {
  const char* path;         // "/board.js"
  const char* contentType;  // "text/javascript; charset=utf-8"
  const char* etag;         // quoted, from the content's SHA-256
  const unsigned char* data;
  size_t size;
};

// The asset served at `path`, or nullptr.
const BoardAsset* findBoardAsset(const std::string& path);

// The route (an httplib path regex) that matches the path of every embedded asset but the page
// itself ("/index.html", served at "/" too): e.g. "/(board\.css|board\.js|icon\.svg)".
std::string boardAssetRoute();

}  // namespace samband::broker
