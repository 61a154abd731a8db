#pragma once
// GuardedBuffer: memory whose end is followed by a page the process may not touch, so that a
// read one byte past the end faults at once, with or without a sanitizer. The tests of parsers
// that take a string_view place their input right before that page.

#include <cstddef>
#include <cstring>
#include <string_view>

#if defined(_WIN32)
#include <windows.h>
#else
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace modhost::test {

class GuardedBuffer {
 public:
  // One page of usable memory followed by the guard page; ok() is false if the OS refused.
  GuardedBuffer() {
#if defined(_WIN32)
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    page_ = info.dwPageSize;
    void* p = VirtualAlloc(nullptr, 2 * page_, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
    DWORD old = 0;
    if (p != nullptr && !VirtualProtect(static_cast<char*>(p) + page_, page_, PAGE_NOACCESS, &old)) {
      VirtualFree(p, 0, MEM_RELEASE);
      p = nullptr;
    }
#else
    page_ = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    void* p = ::mmap(nullptr, 2 * page_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      p = nullptr;
    } else if (::mprotect(static_cast<char*>(p) + page_, page_, PROT_NONE) != 0) {
      ::munmap(p, 2 * page_);
      p = nullptr;
    }
#endif
    base_ = static_cast<char*>(p);
  }
  ~GuardedBuffer() {
    if (base_ == nullptr) return;
#if defined(_WIN32)
    VirtualFree(base_, 0, MEM_RELEASE);
#else
    ::munmap(base_, 2 * page_);
#endif
  }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  bool ok() const { return base_ != nullptr; }

  // Copies `bytes` (at most a page) so that its last byte is the last one before the guard page,
  // and returns a view of the copy.
  std::string_view place(std::string_view bytes) {
    char* end = base_ + page_;
    std::memcpy(end - bytes.size(), bytes.data(), bytes.size());
    return std::string_view(end - bytes.size(), bytes.size());
  }

 private:
  std::size_t page_ = 0;
  char* base_ = nullptr;
};

}  // namespace modhost::test
