// WorkQueue<T>: a closable multi-producer queue handed between the broker's threads.
// Consumers take items in batches, which is what lets the database thread group commits.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

namespace samband::broker {

template <typename T>
class WorkQueue {
 public:
  // Adds an item. Returns false once the queue is closed.
  bool push(T&& item) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) return false;
      items_.push_back(std::move(item));
    }
    ready_.notify_one();
    return true;
  }

  // Adds all of `items` under one lock and one wake-up (a burst read from a socket), then
  // clears it. Returns false once the queue is closed.
  bool pushAll(std::vector<T>& items) {
    if (items.empty()) return true;
    bool open;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open = !closed_;
      if (open) {
        for (auto& item : items) items_.push_back(std::move(item));
      }
    }
    items.clear();
    if (open) ready_.notify_one();
    return open;
  }

  // Waits up to `timeout` for at least one item, then moves up to `max` items into `out`.
  // Returns false when the queue is closed and empty.
  bool popBatch(std::vector<T>& out, size_t max, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait_for(lock, timeout, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return !closed_;
    while (!items_.empty() && out.size() < max) {
      out.push_back(std::move(items_.front()));
      items_.pop_front();
    }
    return true;
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return items_.size();
  }

  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace samband::broker
