#pragma once
// StderrCapture: while it lives, what the process writes to its standard error goes to a
// temporary file instead (fd 2 on POSIX, the STD_ERROR_HANDLE on Windows, which is what the
// library writes to); text() stops the capture and returns what was written.

#include <cstdio>
#include <string>

#if defined(_WIN32)
#include <io.h>
#include <windows.h>
#else
#include <unistd.h>
#endif

namespace modhost::test {

class StderrCapture {
 public:
  StderrCapture() {
    file_ = std::tmpfile();
    if (file_ == nullptr) return;
    std::fflush(stderr);
#if defined(_WIN32)
    saved_ = GetStdHandle(STD_ERROR_HANDLE);
    capturing_ = SetStdHandle(STD_ERROR_HANDLE, os_handle()) != 0;
#else
    saved_ = ::dup(2);
    capturing_ = saved_ >= 0 && ::dup2(::fileno(file_), 2) >= 0;
#endif
  }
  ~StderrCapture() {
    restore();
    if (file_ != nullptr) std::fclose(file_);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  // True when stderr is being captured.
  bool ok() const { return capturing_; }

  // Ends the capture and returns everything written meanwhile.
  std::string text() {
    restore();
    std::string out;
    if (file_ == nullptr) return out;
    std::rewind(file_);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0) out.append(buf, n);
    return out;
  }

 private:
  void restore() {
    if (!capturing_) return;
    capturing_ = false;
#if defined(_WIN32)
    SetStdHandle(STD_ERROR_HANDLE, saved_);
#else
    ::dup2(saved_, 2);
    ::close(saved_);
#endif
  }
#if defined(_WIN32)
  HANDLE os_handle() const { return reinterpret_cast<HANDLE>(_get_osfhandle(_fileno(file_))); }
  HANDLE saved_ = nullptr;
#else
  int saved_ = -1;
#endif
  std::FILE* file_ = nullptr;
  bool capturing_ = false;
};

}  // namespace modhost::test
