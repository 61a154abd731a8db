// The POSIX PipeReader: one thread, one poll() over every registered pipe plus the reader's own
// wakeup pipe.
//
// Why poll and not epoll: the set changes only when instances come and go, and a poll round over
// a few hundred fds costs a few microseconds, against the ~1,000 lines one 64 KiB read carries
// under load (W3). While idle the thread sleeps in poll() with no timeout, so the set's size costs
// nothing (W6). epoll would save the O(n) scan per round only when thousands of pipes are mostly
// quiet and a few are busy; the measurements (docs/benchmarks.md, W3 and W6) do not call for it.

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>


#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "fd_util.hpp"
#include "modhost_platform.hpp"

namespace modhost::detail {

namespace {

using Clock = std::chrono::steady_clock;

// One read buffer per reader, shared by every pipe: a pipe holds at most 64 KiB by default, so one
// read usually empties it, and idle instances cost no buffer at all.
constexpr std::size_t kReadBufferSize = 64 * 1024;


class PollPipeReader final : public PipeReader {
 public:
  explicit PollPipeReader(PipeReaderHandler& handler) : handler_(handler) {}
  ~PollPipeReader() override {
    stop();
    close_fd(wake_read_);
    close_fd(wake_write_);
  }

  Result<void> start() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
      return Error::from_os(errno, "cannot create the pipe reader's wakeup pipe");
    }
    wake_read_ = above_stdio(fds[0]);
    wake_write_ = above_stdio(fds[1]);
    if (wake_read_ < 0 || wake_write_ < 0) {
      return Error::from_os(errno, "cannot create the pipe reader's wakeup pipe");
    }
    // Thread::start blocks every signal in the new thread, so that the host's handlers run on the
    // host's own threads and never interrupt the reader in the middle of delivering a line.
    Result<Thread> thread = Thread::start([this] { run(); }, "the pipe reader thread");
    if (!thread) return thread.error();
    thread_ = std::move(*thread);
    return ok_result();
  }

  Result<void> add(std::uint64_t key, Pipe pipe) override {
    if (!pipe.valid()) return Error(errc::invalid_argument, "pipe reader: cannot add an invalid pipe");
    int fd = static_cast<int>(pipe.native());
    // The parent's ends made by modhost are already non-blocking; a pipe from elsewhere might not
    // be, and one blocking read would stall every other pipe of the reader.
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK) == 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return Error(errc::cancelled, "pipe reader: already stopped");
    if (entries_.count(key) != 0) {
      return Error(errc::invalid_argument, "pipe reader: key already registered");
    }
    entries_.emplace(key, Entry{static_cast<int>(pipe.release())});
    dirty_ = true;
    signal_locked();
    return ok_result();
  }

  void remove(std::uint64_t key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    // The reader thread may be inside poll() with this fd: it is closed there, between rounds, so
    // that its number cannot be reused by a concurrent open while it is still in the poll set.
    doomed_.push_back(it->second.fd);
    entries_.erase(it);
    dirty_ = true;
    signal_locked();
  }

  void wake() override {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_requested_ = true;
    signal_locked();
  }

  void set_deadline(Clock::time_point deadline) override {
    std::lock_guard<std::mutex> lock(mutex_);
    deadline_ = deadline;
    signal_locked();
  }

  void stop() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
      signal_locked();
    }
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& kv : entries_) close_fd(kv.second.fd);
    entries_.clear();
    for (int fd : doomed_) close_fd(fd);
    doomed_.clear();
  }

 private:
  struct Entry {
    int fd;
  };

  // Writes one byte to the wakeup pipe unless one is already pending, so a burst of requests
  // costs one byte and the pipe can never fill up. Called with mutex_ held.
  void signal_locked() noexcept {
    if (wake_pending_) return;
    wake_pending_ = true;
    char byte = 1;
    ssize_t n;
    do {
      n = ::write(wake_write_, &byte, 1);
    } while (n < 0 && errno == EINTR);
  }

  // The thread: rebuild the poll set when it changed, sleep in poll until an fd is ready, the
  // wakeup pipe is written or the deadline passes, then deliver the events.
  void run() {
    std::unique_ptr<char[]> buffer(new char[kReadBufferSize]);
    std::vector<pollfd> fds;
    std::vector<std::uint64_t> keys;
    for (;;) {
      int timeout_ms = -1;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopped_) return;
        for (int fd : doomed_) close_fd(fd);
        doomed_.clear();
        if (dirty_) {
          dirty_ = false;
          fds.resize(1);
          keys.resize(1);
          for (auto& kv : entries_) {
            fds.push_back(pollfd{kv.second.fd, POLLIN, 0});
            keys.push_back(kv.first);
          }
        }
        fds[0] = pollfd{wake_read_, POLLIN, 0};
        if (deadline_ != Clock::time_point::max()) {
          auto left = deadline_ - Clock::now();
          // Rounded up: waking a little late is harmless, waking early would spin until it is due.
          auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
          timeout_ms = static_cast<int>(std::clamp<long long>(ms, 0, 24 * 3600 * 1000));
        }
      }
      int ready = ::poll(fds.data(), fds.size(), timeout_ms);
      if (ready < 0 && errno != EINTR) {
        // Only EFAULT/EINVAL/ENOMEM are possible; back off instead of spinning on them.
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      bool woken = false;
      if (ready > 0 && (fds[0].revents & POLLIN) != 0) {
        char sink[64];
        while (::read(wake_read_, sink, sizeof sink) > 0) {
        }
        std::lock_guard<std::mutex> lock(mutex_);
        wake_pending_ = false;
        woken = wake_requested_;
        wake_requested_ = false;
      }
      for (std::size_t i = 1; ready > 0 && i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        deliver(keys[i], fds[i].fd, buffer.get());
      }
      bool due = false;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (deadline_ != Clock::time_point::max() && Clock::now() >= deadline_) {
          deadline_ = Clock::time_point::max();
          due = true;
        }
      }
      if (woken || due) handler_.on_wake();
    }
  }

  // Handles one ready fd: one read per round keeps the pipes fair; a pipe with more data is ready
  // again at once.
  void deliver(std::uint64_t key, int fd, char* buffer) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(key);
      // Removed (or removed and re-added with another fd) since the poll set was built.
      if (it == entries_.end() || it->second.fd != fd) return;
    }
    ssize_t n = ::read(fd, buffer, kReadBufferSize);
    if (n > 0) {
      handler_.on_data(key, std::string_view(buffer, static_cast<std::size_t>(n)));
      return;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // n == 0 is EOF; any other error ends the stream the same way (there is nothing to retry).
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = entries_.find(key);
      if (it == entries_.end() || it->second.fd != fd) return;
      entries_.erase(it);
      dirty_ = true;
    }
    // Closed here, on the thread, outside poll: nothing else can still be using the number.
    close_fd(fd);
    handler_.on_eof(key);
  }

  PipeReaderHandler& handler_;
  Thread thread_;
  int wake_read_ = -1;
  int wake_write_ = -1;

  std::mutex mutex_;  // guards everything below
  std::unordered_map<std::uint64_t, Entry> entries_;
  std::vector<int> doomed_;  // removed fds, closed by the thread between rounds
  Clock::time_point deadline_ = Clock::time_point::max();
  bool dirty_ = true;
  bool stopped_ = false;
  bool wake_pending_ = false;
  bool wake_requested_ = false;
};

}  // namespace

Result<std::unique_ptr<PipeReader>> start_pipe_reader(PipeReaderHandler& handler) {
  std::unique_ptr<PollPipeReader> reader(new PollPipeReader(handler));
  Result<void> started = reader->start();
  if (!started) return started.error();
  return std::unique_ptr<PipeReader>(std::move(reader));
}

}  // namespace modhost::detail
