// See check_pool.h.
#include "broker/audit/check_pool.h"

#include <algorithm>

namespace samband::broker {

void checkBatch(CheckedBatch& batch, const FrameKeys& keys, int64_t signaturesFrom) {
  if (batch.checks.size() < batch.size) batch.checks.resize(batch.size);
  for (size_t i = 0; i < batch.size; i++) {
    const StoredFrame& f = batch.frames[i];
    checkFrame(f, keys, f.id >= signaturesFrom, batch.checks[i]);
  }
}

CheckPool::CheckPool(int threads, const FrameKeys& keys, int64_t signaturesFrom)
    : keys_(keys), signaturesFrom_(signaturesFrom) {
  for (int i = 0; i < std::max(1, threads); i++) workers_.emplace_back([this] { work(); });
}

CheckPool::~CheckPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  for (auto& t : workers_) t.join();
}

void CheckPool::submit(std::unique_ptr<CheckedBatch> batch) {
  batch->done = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    todo_.push_back(batch.get());
  }
  order_.push_back(std::move(batch));
  queued_.notify_one();
}

std::unique_ptr<CheckedBatch> CheckPool::takeOldest() {
  std::unique_ptr<CheckedBatch> batch = std::move(order_.front());
  order_.pop_front();
  std::unique_lock<std::mutex> lock(mutex_);
  finished_.wait(lock, [&] { return batch->done; });
  return batch;
}

void CheckPool::work() {
  for (;;) {
    CheckedBatch* batch = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      queued_.wait(lock, [&] { return stopping_ || !todo_.empty(); });
      if (stopping_) return;
      batch = todo_.front();
      todo_.pop_front();
    }
    checkBatch(*batch, keys_, signaturesFrom_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      batch->done = true;
    }
    finished_.notify_all();
  }
}

}  // namespace samband::broker
