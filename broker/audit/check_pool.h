// CheckPool: runs checkFrame() (frame_check.h) over batches of stored frames on worker threads
// and hands the results back in the order the batches went in, so the audit's in-order walk
// (chains, checkpoints, the picture) sees exactly what a serial walk would. The database is read
// by the caller's thread only; the workers touch nothing but the frames they are given.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "broker/audit/frame_check.h"

namespace samband::broker {

// A batch of frames and their checks. The audit reuses batches (and the buffers of the frames
// and checks in them) from one batch of the archive to the next, so the walk does not allocate
// per frame: only frames[0, size) and checks[0, size) belong to the current batch.
struct CheckedBatch {
  std::vector<StoredFrame> frames;
  std::vector<FrameCheck> checks;  // checks[i] belongs to frames[i]
  size_t size = 0;
  bool done = false;
};

class CheckPool {
 public:
  // `threads` workers (at least 1); `keys` must outlive the pool and stay unchanged. Frames with
  // an id below `signaturesFrom` are decoded and hashed but their signatures are not checked.
  CheckPool(int threads, const FrameKeys& keys, int64_t signaturesFrom);
  ~CheckPool();  // stops and joins the workers; unfinished batches are dropped
  CheckPool(const CheckPool&) = delete;
  CheckPool& operator=(const CheckPool&) = delete;

  // Queues a batch (its first `size` frames). Called by one thread (the reader).
  void submit(std::unique_ptr<CheckedBatch> batch);
  // Batches submitted and not yet taken.
  size_t pending() const { return order_.size(); }
  // Waits for the oldest submitted batch and returns it. Precondition: pending() > 0.
  std::unique_ptr<CheckedBatch> takeOldest();

 private:
  void work();

  const FrameKeys& keys_;
  const int64_t signaturesFrom_;
  std::mutex mutex_;
  std::condition_variable queued_;                   // a batch waits for a worker, or stop
  std::condition_variable finished_;                 // a batch is done
  std::deque<CheckedBatch*> todo_;                   // not owned: owned by order_
  std::deque<std::unique_ptr<CheckedBatch>> order_;  // submission order; reader's thread only
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// Checks the first `size` frames of a batch on the calling thread (the serial audit, and each
// worker), reusing the batch's checks.
void checkBatch(CheckedBatch& batch, const FrameKeys& keys, int64_t signaturesFrom);

}  // namespace samband::broker
