#pragma once
// refuse_syscalls(): installs a seccomp filter in the calling process (inherited by every thread
// started later and by every child) that makes the listed system calls fail with `error` (ENOSYS
// as on an old kernel, EPERM as under an older container profile) and lets every other call
// through. It simulates an old kernel or a restricted sandbox for the fallback tests. Use it only
// in a fresh process (MODHOST_IN_FRESH_PROCESS): the filter cannot be removed. Linux only.
//
// Returns an empty string on success, else why the filter is not available here (no seccomp, an
// architecture this helper does not know, or an emulator that does not apply it), which the test
// reports as its skip reason.

#if defined(__linux__)

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <string>

namespace modhost::test {

#if defined(__x86_64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr unsigned kAuditArch = AUDIT_ARCH_AARCH64;
#elif defined(__arm__)
constexpr unsigned kAuditArch = AUDIT_ARCH_ARM;
#elif defined(__s390x__)
constexpr unsigned kAuditArch = AUDIT_ARCH_S390X;
#else
constexpr unsigned kAuditArch = 0;
#endif

// The filter program: arch check, then one compare-and-return pair per refused call. A fixed
// array, so that a forked child of a threaded test process can build it (no allocation).
constexpr std::size_t kMaxRefused = 8;

// Installs the filter; nullptr on success, else a static text saying what is missing (errno
// holds the OS reason). Async-signal-safe: it only builds an array and makes system calls.
inline const char* install_refusal(const long* numbers, std::size_t count, int error) {
  if (kAuditArch == 0) return "this test does not know the seccomp architecture of this build";
  if (count > kMaxRefused) return "too many system calls to refuse";
  sock_filter prog[4 + 2 * kMaxRefused];
  std::size_t n = 0;
  // Another architecture's calls (e.g. 32-bit calls on x86_64) are let through unfiltered: the
  // programs under test never make them.
  prog[n++] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch));
  prog[n++] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0);
  prog[n++] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  prog[n++] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr));
  for (std::size_t i = 0; i < count; ++i) {
    prog[n++] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(numbers[i]), 0, 1);
    prog[n++] = BPF_STMT(BPF_RET | BPF_K,
                         SECCOMP_RET_ERRNO | (static_cast<unsigned>(error) & SECCOMP_RET_DATA));
  }
  prog[n++] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  sock_fprog fprog{static_cast<unsigned short>(n), prog};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return "prctl(PR_SET_NO_NEW_PRIVS) is refused";
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
    return "seccomp filters cannot be installed";
  }
  // Check that the filter answers (an emulator may accept it and not apply it). The calls this
  // helper is used for (pidfd_open, close_range, clone3) reject (~0, 0, 0) with EINVAL without
  // side effects, so the probe is harmless where the filter is not applied.
  for (std::size_t i = 0; i < count; ++i) {
    errno = 0;
    long r = ::syscall(numbers[i], ~0ul, 0ul, 0ul);
    if (r != -1 || errno != error) {
      errno = 0;
      return "a seccomp filter is accepted but not applied (an emulator?)";
    }
  }
  return nullptr;
}

// Installs the filter in this process; an empty string on success, else why not.
inline std::string refuse_syscalls(std::initializer_list<long> numbers, int error) {
  const char* why = install_refusal(numbers.begin(), numbers.size(), error);
  if (why == nullptr) return {};
  std::string out = why;
  if (errno != 0) out += std::string(": ") + std::strerror(errno);
  return out;
}

// Installs a filter in this process that refuses, with `error`, every way of creating a child
// that shares the parent's memory and suspends it (vfork(2), and clone(2) with CLONE_VFORK,
// which is how glibc's vfork() works where there is no vfork call, aarch64 for one), and lets
// every other call through, plain fork() (clone without CLONE_VFORK) and clone3 included. An
// empty string on success, else why not.
inline std::string refuse_vfork(int error) {
  if (kAuditArch == 0) return "this test does not know the seccomp architecture of this build";
#if defined(__s390x__)
  constexpr int kFlagsArg = 1;  // s390's clone takes (stack, flags, ...).
#else
  constexpr int kFlagsArg = 0;
#endif
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  constexpr unsigned kLowWord = 4;
#else
  constexpr unsigned kLowWord = 0;
#endif
  const unsigned refuse = SECCOMP_RET_ERRNO | (static_cast<unsigned>(error) & SECCOMP_RET_DATA);
  sock_filter prog[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
#if defined(SYS_vfork)
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(SYS_vfork), 4, 0),
#else
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 4, 0),  // never a call number
#endif
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(SYS_clone), 0, 2),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
               offsetof(seccomp_data, args) + 8 * kFlagsArg + kLowWord),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_VFORK, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, refuse),
  };
  sock_fprog fprog{static_cast<unsigned short>(sizeof prog / sizeof prog[0]), prog};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return "prctl(PR_SET_NO_NEW_PRIVS) is refused";
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
    return std::string("seccomp filters cannot be installed: ") + std::strerror(errno);
  }
  // Check that the filter answers with a clone the kernel itself would reject (CLONE_SIGHAND
  // without CLONE_VM is EINVAL), so nothing is created where the filter is not applied.
  const unsigned long flags = CLONE_VFORK | CLONE_SIGHAND;
  errno = 0;
#if defined(__s390x__)
  long r = ::syscall(SYS_clone, 0ul, flags, 0ul, 0ul, 0ul);
#else
  long r = ::syscall(SYS_clone, flags, 0ul, 0ul, 0ul, 0ul);
#endif
  if (r != -1 || errno != error) {
    return "a seccomp filter is accepted but not applied (an emulator?)";
  }
  return {};
}

// Why refuse_syscalls() cannot work here, or an empty string: tried once in a forked child, so
// the test process itself stays unfiltered.
inline std::string syscall_filter_unavailable() {
  static const std::string why = [] {
#if defined(SYS_pidfd_open)
    const long probe[] = {SYS_pidfd_open};
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(install_refusal(probe, 1, ENOSYS) == nullptr ? 0 : 1);
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return std::string("fork failed");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return std::string();
    return std::string("seccomp filters do not work here (no seccomp, or an emulator)");
#else
    return std::string("these headers do not name pidfd_open");
#endif
  }();
  return why;
}

}  // namespace modhost::test

#endif  // __linux__
