// The manifest of an inquiry export: the SHA-256 of every file in the folder, one line each as
// `sha256sum` writes them (so `sha256sum -c MANIFEST.sha256` checks it too), and the city's
// Ed25519 signature over it, so a changed byte shows even where the manifest was rewritten to
// match. Also the folder's file names, shared by export and verify.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/identity.h"
#include "common/result.h"

namespace samband::broker::inquiry {

inline constexpr const char* kManifestFile = "MANIFEST.sha256";
inline constexpr const char* kManifestSignatureFile = "MANIFEST.sig";
inline constexpr const char* kInquiryFile = "inquiry.json";
inline constexpr const char* kCityKeyFile = "city.pub";
// The city's root public key (issue 15), written when the broker records one.
inline constexpr const char* kRootKeyFile = "root.pub";
inline constexpr const char* kCheckpointsFile = "checkpoints.jsonl";
inline constexpr const char* kLabelsFile = "labels.json";
inline constexpr const char* kBeforeFile = "frames/before.jsonl";
inline constexpr const char* kReadmeFile = "README.md";
inline constexpr const char* kScriptFile = "verify.py";
// The prefix of the manifest's signature (NUL included), as for bodies and checkpoints.
inline constexpr char kManifestSignDomain[] = "samband/v1/inquiry-manifest";
// The export's format; verify refuses others.
inline constexpr int kInquiryFormat = 1;

// Lowercase hex SHA-256 of `data`.
std::string sha256Hex(const std::string& data);

// Every regular file under `dir`, as paths relative to it with '/', sorted.
common::Result<std::vector<std::string>> filesUnder(const std::string& dir);

// "HASH  path\n" for each file (the manifest and its signature excluded), sorted by path.
common::Result<std::string> makeManifest(const std::string& dir);
// path -> hash, from a manifest's text. Errors: invalidInput naming the line.
common::Result<std::map<std::string, std::string>> parseManifest(const std::string& text);

// Hex Ed25519 signature over kManifestSignDomain || manifest.
std::string signManifest(const common::Identity& city, const std::string& manifest);
bool verifyManifest(const common::PublicKey& city, const std::string& manifest,
                    const std::string& signatureHex);

// Standard base64 (with padding) and back; nothing on malformed input.
std::string base64(const common::Bytes& bytes);
std::optional<common::Bytes> fromBase64(const std::string& text);

}  // namespace samband::broker::inquiry
