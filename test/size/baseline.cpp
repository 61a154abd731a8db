// The size benchmark's baseline (scripts/size-report.sh): a static program that uses the same
// standard-library parts a modhost host pulls in (thread, mutex, condition_variable, function,
// string, vector, shared_ptr, chrono waits, printf), and no modhost, so that host.cpp's size over
// this one is what the library itself adds.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  auto shared = std::make_shared<std::string>(args.empty() ? "" : args[0]);
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::function<void()> work = [&] {
    std::lock_guard<std::mutex> lock(m);
    done = true;
    cv.notify_all();
  };
  std::thread t(work);
  {
    std::unique_lock<std::mutex> lock(m);
    cv.wait_for(lock, std::chrono::seconds(1), [&] { return done; });
  }
  t.join();
  std::printf("%s %zu\n", shared->c_str(), args.size());
  return done ? 0 : 1;
}
