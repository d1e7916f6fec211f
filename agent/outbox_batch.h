// Batches of outbox rows (issue 16): when more than one report is pending, the agent sends a run
// of consecutive rows as one signed batch (common/batch_envelope.h) instead of one envelope each.
// The rows keep their own seq, prevHash and stored single envelope; only the wire frame differs.
#pragma once

#include <cstddef>
#include <vector>

#include "agent/outbox.h"
#include "common/bytes.h"
#include "common/identity.h"

namespace samband::agent {

struct OutboxBatch {
  common::Bytes frame;  // the batch frame; empty when rows[first] goes alone
  size_t rows = 1;      // rows covered, from `first`
};

// The longest run of rows from `first` (at most common::kMaxBatchReports, the frame at most
// common::kMaxBatchBytes, each row's prevHash the bodyHash of the row before it) signed as one
// batch by `identity`. A run of one row, or a row whose envelope does not decode, is not
// batched: `frame` is empty, `rows` is 1 and the caller sends rows[first].envelope.
OutboxBatch batchFrom(const common::Identity& identity, const std::vector<OutboxRow>& rows,
                      size_t first);

}  // namespace samband::agent
