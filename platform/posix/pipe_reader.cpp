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

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "fd_util.hpp"
#include "modhost_pipe_reader.hpp"

namespace modhost::detail {

namespace {

// One read buffer per reader, shared by every pipe: a pipe holds at most 64 KiB by default, so one
// read usually empties it, and idle instances cost no buffer at all.
constexpr std::size_t kReadBufferSize = 64 * 1024;

// The poll set is the wakeup pipe's read end (slot 0) and every registered pipe; the rest (the
// deadline, wake-ups, the loop and stop) is PipeReaderBase's.
class PollPipeReader final : public PipeReaderBase {
 public:
  explicit PollPipeReader(PipeReaderHandler& handler) : PipeReaderBase(handler) {}
  ~PollPipeReader() override {
    stop();
    close_fd(wake_read_);
    close_fd(wake_write_);
  }

  Result<void> start() {
    int fds[2];
    if (!open_wake_pipe(fds)) {
      return Error::from_os(errno, "cannot create the pipe reader's wakeup pipe");
    }
    wake_read_ = fds[0];
    wake_write_ = fds[1];
    return start_thread();
  }

  Result<void> add(std::uint64_t key, Pipe pipe) override {
    if (!pipe.valid()) return Error(errc::invalid_argument, "pipe reader: cannot add an invalid pipe");
    int fd = static_cast<int>(pipe.native());
    // The parent's ends made by modhost are already non-blocking; a pipe from elsewhere might not
    // be, and one blocking read would stall every other pipe of the reader.
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK) == 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    std::lock_guard<std::mutex> lock(mutex());
    if (stopped_locked()) return Error(errc::cancelled, "pipe reader: already stopped");
    if (entries_.count(key) != 0) {
      return Error(errc::invalid_argument, "pipe reader: key already registered");
    }
    entries_.emplace(key, Entry{static_cast<int>(pipe.release())});
    dirty_ = true;
    signal_locked();
    return ok_result();
  }

  void remove(std::uint64_t key) override {
    std::lock_guard<std::mutex> lock(mutex());
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    // The reader thread may be inside poll() with this fd: it is closed there, between rounds, so
    // that its number cannot be reused by a concurrent open while it is still in the poll set.
    doomed_.push_back(it->second.fd);
    entries_.erase(it);
    dirty_ = true;
    signal_locked();
  }

 private:
  struct Entry {
    int fd;
  };

  // One byte in the wakeup pipe; PipeReaderBase posts at most one until the thread takes it, so
  // the pipe can never fill up.
  void post_wake_signal() noexcept override { write_wake_byte(wake_write_); }

  // Closes the fds removed since the last round (nothing polls them now) and rebuilds the poll
  // set when it changed.
  void prepare_round_locked() override {
    for (int fd : doomed_) close_fd(fd);
    doomed_.clear();
    if (dirty_) {
      dirty_ = false;
      fds_.resize(1);
      keys_.resize(1);
      for (auto& kv : entries_) {
        fds_.push_back(pollfd{kv.second.fd, POLLIN, 0});
        keys_.push_back(kv.first);
      }
    }
    fds_[0] = pollfd{wake_read_, POLLIN, 0};
  }

  // Sleeps in poll until an fd is ready, the wakeup pipe is written or the timeout passes, then
  // delivers what is ready.
  bool wait_and_deliver(int timeout_ms) override {
    int ready = ::poll(fds_.data(), fds_.size(), timeout_ms);
    if (ready < 0 && errno != EINTR) {
      // Only EFAULT/EINVAL/ENOMEM are possible; back off instead of spinning on them.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      return false;
    }
    bool woken = false;
    if (ready > 0 && (fds_[0].revents & POLLIN) != 0) {
      drain_wake_pipe(wake_read_);
      woken = take_wake();
    }
    for (std::size_t i = 1; ready > 0 && i < fds_.size(); ++i) {
      if (fds_[i].revents == 0) continue;
      deliver(keys_[i], fds_[i].fd);
    }
    return woken;
  }

  // Handles one ready fd: one read per round keeps the pipes fair; a pipe with more data is ready
  // again at once.
  void deliver(std::uint64_t key, int fd) {
    {
      std::lock_guard<std::mutex> lock(mutex());
      auto it = entries_.find(key);
      // Removed (or removed and re-added with another fd) since the poll set was built.
      if (it == entries_.end() || it->second.fd != fd) return;
    }
    ssize_t n = ::read(fd, buffer_.get(), kReadBufferSize);
    if (n > 0) {
      handler().on_data(key, std::string_view(buffer_.get(), static_cast<std::size_t>(n)));
      return;
    }
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // n == 0 is EOF; any other error ends the stream the same way (there is nothing to retry).
    {
      std::lock_guard<std::mutex> lock(mutex());
      auto it = entries_.find(key);
      if (it == entries_.end() || it->second.fd != fd) return;
      entries_.erase(it);
      dirty_ = true;
    }
    // Closed here, on the thread, outside poll: nothing else can still be using the number.
    close_fd(fd);
    handler().on_eof(key);
  }

  // After stop, on the thread: nothing polls any more, so every fd can be closed.
  void shut_down() override {
    std::lock_guard<std::mutex> lock(mutex());
    for (auto& kv : entries_) close_fd(kv.second.fd);
    entries_.clear();
    for (int fd : doomed_) close_fd(fd);
    doomed_.clear();
  }

  int wake_read_ = -1;
  int wake_write_ = -1;

  // The reader thread's own: the poll set, slot 0 the wakeup pipe, and the key of each slot.
  std::vector<pollfd> fds_;
  std::vector<std::uint64_t> keys_;
  std::unique_ptr<char[]> buffer_{new char[kReadBufferSize]};

  // Guarded by mutex().
  std::unordered_map<std::uint64_t, Entry> entries_;
  std::vector<int> doomed_;  // removed fds, closed by the thread between rounds
  bool dirty_ = true;
};

}  // namespace

Result<std::unique_ptr<PipeReader>> start_pipe_reader(PipeReaderHandler& handler) {
  std::unique_ptr<PollPipeReader> reader(new PollPipeReader(handler));
  Result<void> started = reader->start();
  if (!started) return started.error();
  return std::unique_ptr<PipeReader>(std::move(reader));
}

}  // namespace modhost::detail
