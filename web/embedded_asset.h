// A web page's files (HTML, CSS, JavaScript modules, icons) embedded in the binary at build time
// by web/embed_assets.cmake, and served with an ETag: in a crisis the internet may be gone, so a
// Samband page loads nothing from anywhere else. The board and the agent's reporting page each
// have a table of their own.
#pragma once

#include <cstddef>
#include <string>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace samband::web {

struct EmbeddedAsset {
  const char* path;         // "/board.js"
  const char* contentType;  // "text/javascript; charset=utf-8"
  const char* etag;         // quoted, from the content's SHA-256
  const unsigned char* data;
  size_t size;
};

// The asset of `table` (of `count`) served at `path`, or nullptr.
const EmbeddedAsset* findEmbeddedAsset(const EmbeddedAsset* table, size_t count,
                                       const std::string& path);

// The route (an httplib path regex) that matches the path of every asset of the table but the
// page itself ("/index.html", served at "/" too): e.g. "/(board\.css|board\.js|icon\.svg)".
std::string embeddedAssetRoute(const EmbeddedAsset* table, size_t count);

// Answers with `asset` (404 when null), 304 when the request's If-None-Match has its ETag.
void serveEmbeddedAsset(const httplib::Request& req, httplib::Response& res,
                        const EmbeddedAsset* asset);

}  // namespace samband::web
