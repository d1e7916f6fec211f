// Audit: proves the archive and the picture from the stored signed bytes and the city's public
// key alone: every signature (with keys proven by city-signed roster records, never the `keys`
// table), every sender's sequence and hash chain, every derived column, the whole current
// picture, the chain of city-signed checkpoints (nothing deleted after it was covered), and any
// receipts agents hold (nothing deleted after it was acknowledged). docs/security.md says what
// it can and cannot prove.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "broker/store/store.h"
#include "common/identity.h"

namespace samband::broker {

struct AuditOptions {
  // The city's public signing key from city.pub (`--city-keys`); without it the key recorded in
  // the database is used, and the report says the keys were not proven independently.
  std::optional<common::PublicKey> cityKey;
  // Receipts agents kept (`samband-agent receipt --json` output), with the file each came from.
  std::vector<std::pair<std::string, std::string>> receipts;  // (file name, JSON text)
  // `--since FRAME_ID`: the signatures of frames with a smaller id were verified by an earlier
  // run and are not checked again. Everything else (decoding, hashes, chains, columns, the
  // checkpoint digests over every frame, the picture) is still derived from every frame, so a
  // frame deleted, inserted or altered anywhere is still found; only a signature replaced
  // together with its body before that id would not be. 0 or 1: check every signature.
  int64_t since = 0;
  // Threads verifying signatures (`--threads`): 0 = one per core; 1 = no worker threads, all
  // on the calling thread (the serial audit). The results are the same for every setting.
  int threads = 0;
  // `--all-checkpoint-signatures`: verify every checkpoint's signature. By default only the
  // newest checkpoint each city key signed is verified (the newest of all among them): each
  // checkpoint's header carries the hash of the one before, so a verified signature covers every
  // earlier header, as a transparency log's signed tree head does. Every checkpoint is still
  // decoded, chained, checked against the keyring (its key may sign at its time) and recomputed
  // over the frames. What the default gives up: a stored signature damaged while its header
  // stayed intact is not found. A broker commits about once per report at a city's usual pace,
  // so verifying every checkpoint would double the audit's signature work.
  bool allCheckpointSignatures = false;
  // Called on the calling thread after each batch of frames (about every 1,000), in frame-id
  // order: frames done, the archive's highest frame id, and the highest frame id whose every
  // check is done (resume with --since that + 1). May be empty.
  std::function<void(int64_t framesDone, int64_t lastFrameId, int64_t doneUpTo)> progress;
};

struct AuditReport {
  int64_t frames = 0;
  int64_t senders = 0;
  int64_t chains = 0;              // (sender, key) chains
  int64_t badSignatures = 0;       // signature does not verify, or no proven key to verify it
  int64_t chainBreaks = 0;         // gap, fork, first seq not 1, prevHash mismatch
  int64_t duplicates = 0;          // the same body stored more than once
  int64_t undecodable = 0;         // bytes that do not decode, or header fields that disagree
  int64_t columnMismatches = 0;    // a stored column differs from the signed body
  int64_t pictureMismatches = 0;   // a picture row differs from the archive's replay
  int64_t keysWithoutRecord = 0;   // a `keys` row no city record (or rotation) proves
  int64_t keyMismatches = 0;       // a key row contradicting its record, or a bad record
  int64_t checkpoints = 0;         // city-signed checkpoints found
  int64_t checkpointProblems = 0;  // a checkpoint missing, unsigned, unchained or not matching
  int64_t uncoveredFrames = 0;     // frames after the newest checkpoint
  int64_t receiptsChecked = 0;
  int64_t receiptProblems = 0;              // a receipt the archive does not honour
  int64_t since = 0;                        // --since: signatures before this frame id not checked
  int64_t signaturesChecked = 0;            // frames whose signature was verified in this run
  int64_t checkpointSignaturesChecked = 0;  // checkpoints whose signature was verified
  bool allCheckpointSignatures = false;     // --all-checkpoint-signatures
  std::string cityKeySource;                // "city.pub" or "database"
  std::vector<std::string> problems;        // the first 100, human-readable

  bool intact() const {
    return badSignatures == 0 && chainBreaks == 0 && duplicates == 0 && undecodable == 0 &&
           columnMismatches == 0 && pictureMismatches == 0 && keysWithoutRecord == 0 &&
           keyMismatches == 0 && checkpointProblems == 0 && uncoveredFrames == 0 &&
           receiptProblems == 0;
  }
  nlohmann::json toJson() const;
  std::string toText() const;
};

// Reads the key-record frames first (by their kind column: keysFromArchive), then every frame
// once, in frame-id order, on the calling thread; signatures are verified on options.threads
// workers. Throws nothing; database errors are reported as problems.
AuditReport auditArchive(Store& store, const AuditOptions& options = {});

}  // namespace samband::broker
