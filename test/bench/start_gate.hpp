#pragma once
// run_released_together: n threads, all started and parked before the clock starts, released at
// once; the figure is the wall time from the release until the last of them returned. The floor
// server and the modhost benchmark use this same helper, so both sides pay the same wake-up costs.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

namespace bench {

// Runs body(i) for every i in [0, n) on its own thread. Returns the seconds from the release until
// the last body returned, or a negative value when any body returned false.
template <class Body>
double run_released_together(std::size_t n, Body body) {
  using Clock = std::chrono::steady_clock;
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t parked = 0;
  bool go = false;
  std::vector<Clock::time_point> ends(n);
  std::vector<char> ok(n, 0);
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      {
        std::unique_lock<std::mutex> lock(mutex);
        ++parked;
        cv.notify_all();
        cv.wait(lock, [&] { return go; });
      }
      ok[i] = body(i) ? 1 : 0;
      ends[i] = Clock::now();
    });
  }
  Clock::time_point start;
  {
    // Every thread is parked in the wait (or about to test `go` under the lock) once this returns,
    // so thread creation is outside the timed part.
    std::unique_lock<std::mutex> lock(mutex);
    cv.wait(lock, [&] { return parked == n; });
    start = Clock::now();
    go = true;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();
  Clock::time_point last = start;
  bool all_ok = true;
  for (std::size_t i = 0; i < n; ++i) {
    if (ends[i] > last) last = ends[i];
    all_ok = all_ok && ok[i] != 0;
  }
  return all_ok ? std::chrono::duration<double>(last - start).count() : -1.0;
}

}  // namespace bench
