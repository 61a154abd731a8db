// The Win32 PipeReader: one thread, one I/O completion port. Every registered pipe (an overlapped
// named-pipe read end) always has exactly one read in flight or one packet queued for it on the
// port; the thread delivers each completion to the handler and issues the next read. EOF arrives
// as ERROR_BROKEN_PIPE when the child's write end is closed. The owner learns of exits elsewhere
// (the state's exit listener, run by the platform's exit watcher).
//
// Lifetime rule: an Entry's OVERLAPPED and buffer belong to the kernel while a read is in flight.
// remove() therefore cancels the read and closes the handle, but the Entry is only freed when its
// last packet comes out of the port (it waits in zombies_ until then).

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "handle.hpp"
#include "modhost_pipe_reader.hpp"

namespace modhost::detail {
namespace {

// Per-pipe buffer: one read of a busy pipe carries up to this much. Each pipe needs its own
// buffer because all reads are in flight at once.
constexpr DWORD kReadBufferSize = 32 * 1024;

// Completion keys: what a packet is about.
constexpr ULONG_PTR kIoKey = 1;      // a read completed (lpOverlapped is the Entry's OVERLAPPED)
constexpr ULONG_PTR kFailKey = 2;    // a read failed at once (lpOverlapped as above)
constexpr ULONG_PTR kWakeKey = 3;    // wake(), set_deadline(), add/remove bookkeeping, stop()

struct Entry {
  OVERLAPPED ov{};  // First member: the packet's OVERLAPPED* is the Entry*.
  std::uint64_t key = 0;
  HANDLE handle = INVALID_HANDLE_VALUE;
  bool removed = false;
  std::unique_ptr<char[]> buffer;
};

// The port carries every pipe's read completions and the wake packets; the rest (the deadline,
// wake-ups, the loop and stop) is PipeReaderBase's.
class IocpPipeReader final : public PipeReaderBase {
 public:
  explicit IocpPipeReader(PipeReaderHandler& handler) : PipeReaderBase(handler) {}
  ~IocpPipeReader() override {
    stop();
    if (port_ != nullptr) CloseHandle(port_);
  }

  Result<void> start() {
    port_ = CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
    if (port_ == nullptr) return win32::last_error("pipe reader: CreateIoCompletionPort");
    return start_thread();
  }

  Result<void> add(std::uint64_t key, Pipe pipe) override {
    if (!pipe.valid()) return Error(errc::invalid_argument, "pipe reader: cannot add an invalid pipe");
    std::lock_guard<std::mutex> lock(mutex());
    if (stopped_locked()) return Error(errc::cancelled, "pipe reader: already stopped");
    if (entries_.count(key) != 0) {
      return Error(errc::invalid_argument, "pipe reader: key already registered");
    }
    HANDLE h = win32::to_handle(pipe.native());
    if (CreateIoCompletionPort(h, port_, kIoKey, 0) == nullptr) {
      // The usual cause is a handle opened without FILE_FLAG_OVERLAPPED or already tied to
      // another port; such a handle cannot be read here.
      return win32::last_error("pipe reader: cannot attach the pipe to the completion port");
    }
    auto entry = std::make_unique<Entry>();
    entry->key = key;
    entry->handle = win32::to_handle(pipe.release());
    entry->buffer.reset(new char[kReadBufferSize]);
    Entry* e = entry.get();
    entries_.emplace(key, std::move(entry));
    start_read_locked(e);
    return ok_result();
  }

  void remove(std::uint64_t key) override {
    std::lock_guard<std::mutex> lock(mutex());
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    std::unique_ptr<Entry> entry = std::move(it->second);
    entries_.erase(it);
    retire_locked(std::move(entry));
  }

 private:
  // One wake packet; PipeReaderBase posts at most one until the thread takes it.
  void post_wake_signal() noexcept override {
    if (port_ != nullptr) PostQueuedCompletionStatus(port_, 0, kWakeKey, nullptr);
  }

  // Issues the next overlapped read of `e`. Its result always comes back through the port: a
  // completion (also for an immediate success, since skip-on-success mode is not enabled), or,
  // when ReadFile fails at once and so queues nothing, a kFailKey packet posted here.
  void start_read_locked(Entry* e) noexcept {
    e->ov = OVERLAPPED{};
    if (!ReadFile(e->handle, e->buffer.get(), kReadBufferSize, nullptr, &e->ov)) {
      DWORD err = GetLastError();
      if (err != ERROR_IO_PENDING) PostQueuedCompletionStatus(port_, 0, kFailKey, &e->ov);
    }
  }

  // Takes an entry out of service: its read is cancelled and its handle closed; the Entry waits
  // in zombies_ for the packet that cancellation produces.
  void retire_locked(std::unique_ptr<Entry> entry) noexcept {
    entry->removed = true;
    CancelIoEx(entry->handle, &entry->ov);
    CloseHandle(entry->handle);
    entry->handle = INVALID_HANDLE_VALUE;
    Entry* raw = entry.get();
    zombies_.emplace(raw, std::move(entry));
  }

  // Takes one packet from the port (or times out) and handles it: a wake packet, or a read's
  // completion.
  bool wait_and_deliver(int timeout_ms) override {
    const DWORD timeout = timeout_ms < 0 ? INFINITE : static_cast<DWORD>(timeout_ms);
    DWORD bytes = 0;
    ULONG_PTR ckey = 0;
    OVERLAPPED* ov = nullptr;
    BOOL ok = GetQueuedCompletionStatus(port_, &bytes, &ckey, &ov, timeout);
    DWORD err = ok ? 0 : GetLastError();
    if (ov != nullptr) {
      on_read_packet(reinterpret_cast<Entry*>(ov), ckey == kIoKey && ok, bytes);
      return false;
    }
    if (ok && ckey == kWakeKey) return take_wake();
    if (!ok && err != WAIT_TIMEOUT) {
      // The port itself failed (it cannot, short of being closed); back off, do not spin.
      Sleep(10);
    }
    return false;
  }

  // Handles the packet of `e`'s read (`ok`: it completed with `bytes`): frees a retired entry,
  // delivers data and reads again, or ends the stream.
  void on_read_packet(Entry* e, bool ok, DWORD bytes) {
    std::uint64_t key;
    {
      std::lock_guard<std::mutex> lock(mutex());
      if (e->removed) {
        zombies_.erase(e);  // its last packet: the kernel is done with it
        return;
      }
      key = e->key;
      if (ok && bytes == 0) {
        // A zero-byte write by the child completes a read with nothing; keep reading.
        start_read_locked(e);
        return;
      }
    }
    if (ok) {
      handler().on_data(key, std::string_view(e->buffer.get(), bytes));
      std::lock_guard<std::mutex> lock(mutex());
      // remove() may have run during on_data; no read was in flight, so nothing is queued for it.
      if (e->removed) {
        zombies_.erase(e);
      } else {
        start_read_locked(e);
      }
      return;
    }
    // ERROR_BROKEN_PIPE is the normal EOF; any other failure ends the stream the same way.
    {
      std::lock_guard<std::mutex> lock(mutex());
      auto it = entries_.find(key);
      if (it == entries_.end() || it->second.get() != e) return;
      CloseHandle(e->handle);
      entries_.erase(it);
    }
    handler().on_eof(key);
  }

  // After stop: retires everything, then drains the port until the kernel has handed back every
  // OVERLAPPED (each cancelled read produces exactly one packet).
  void shut_down() override {
    std::unique_lock<std::mutex> lock(mutex());
    while (!entries_.empty()) {
      std::unique_ptr<Entry> entry = std::move(entries_.begin()->second);
      entries_.erase(entries_.begin());
      retire_locked(std::move(entry));
    }
    while (!zombies_.empty()) {
      lock.unlock();
      DWORD bytes = 0;
      ULONG_PTR ckey = 0;
      OVERLAPPED* ov = nullptr;
      BOOL ok = GetQueuedCompletionStatus(port_, &bytes, &ckey, &ov, 5000);
      lock.lock();
      if (!ok && ov == nullptr) {
        // Five seconds without the cancellation packets is not something Windows does; leak the
        // buffers rather than free memory the kernel may still write to.
        for (auto& z : zombies_) z.second.release();
        zombies_.clear();
        break;
      }
      if ((ckey == kIoKey || ckey == kFailKey) && ov != nullptr) {
        zombies_.erase(reinterpret_cast<Entry*>(ov));
      }
    }
  }

  HANDLE port_ = nullptr;

  // Guarded by mutex().
  std::unordered_map<std::uint64_t, std::unique_ptr<Entry>> entries_;   // by key
  std::unordered_map<Entry*, std::unique_ptr<Entry>> zombies_;          // awaiting their packet
};

}  // namespace

Result<std::unique_ptr<PipeReader>> start_pipe_reader(PipeReaderHandler& handler) {
  std::unique_ptr<IocpPipeReader> reader(new IocpPipeReader(handler));
  Result<void> started = reader->start();
  if (!started) return started.error();
  return std::unique_ptr<PipeReader>(std::move(reader));
}

}  // namespace modhost::detail
