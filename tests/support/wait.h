// waitUntil: how a test waits for an effect it cannot be told about (a row written by another
// thread, a process's status): poll a condition until it holds or a deadline passes. Never a
// bare sleep. Part of the shared test-support library.
#pragma once

#include <chrono>
#include <functional>

namespace samband::testing {

// Evaluates `condition` until it returns true or `timeout` passes, checking often at first
// (1 ms) and then less often (up to every 32 ms, so a condition that runs a process does not
// spin). Returns true as soon as it holds; false if it still does not hold at the deadline.
bool waitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));

}  // namespace samband::testing
