// See embedded_asset.h.
#include "web/embedded_asset.h"

#include <httplib.h>

namespace samband::web {

const EmbeddedAsset* findEmbeddedAsset(const EmbeddedAsset* table, size_t count,
                                       const std::string& path) {
  for (size_t i = 0; i < count; ++i) {
    if (path == table[i].path) return &table[i];
  }
  return nullptr;
}

std::string embeddedAssetRoute(const EmbeddedAsset* table, size_t count) {
  std::string names;
  for (size_t i = 0; i < count; ++i) {
    const std::string path = table[i].path;
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

void serveEmbeddedAsset(const httplib::Request& req, httplib::Response& res,
                        const EmbeddedAsset* a) {
  if (a == nullptr) {
    res.status = 404;
    return;
  }
  res.set_header("ETag", a->etag);
  res.set_header("Cache-Control", "no-cache");
  if (req.get_header_value("If-None-Match") == a->etag) {
    res.status = 304;
    return;
  }
  res.set_content(reinterpret_cast<const char*>(a->data), a->size, a->contentType);
}

}  // namespace samband::web
