// modhost_test_child: the one helper program the tests and benchmarks run as a child. The first
// argument names a mode; the rest are the mode's parameters. Output is made of large writes, so a
// test sees what a real module does. Cross-platform: the Windows branches use the Win32 API.
//
// The modes are the table kModes at the end of this file, each with its parameters and what it
// does; run the program without arguments to have them listed. A process id in place of a mode
// makes it stand in for the Windows CTRL_BREAK helper (see main()).

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(_WIN32)
#include <direct.h>
#include <fcntl.h>
#include <io.h>
#include <windows.h>
// After windows.h, whose types it uses.
#include <shellapi.h>

#include <vector>
#else
#include <dirent.h>
#include <fcntl.h>
#include <time.h>
#include <sys/types.h>
#include <unistd.h>
#endif

#if !defined(_WIN32)
extern char** environ;
#endif

namespace {

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
#if defined(_WIN32)
    int w = _write(fd, p, static_cast<unsigned>(n));
#else
    ssize_t w = ::write(fd, p, n);
#endif
    if (w < 0) {
      if (errno == EINTR) continue;
      std::exit(3);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void write_str(int fd, const std::string& s) { write_all(fd, s.data(), s.size()); }

void sleep_seconds(double s) {
#if defined(_WIN32)
  Sleep(static_cast<DWORD>(s * 1000));
#else
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(s);
  ts.tv_nsec = static_cast<long>((s - static_cast<double>(ts.tv_sec)) * 1e9);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
#endif
}

[[noreturn]] void sleep_forever() {
  for (;;) sleep_seconds(1000);
}

// A mode's command line: argv[1] is the mode's name, its parameters follow.
struct Args {
  int argc;
  char** argv;
  // Parameter i (2 is the first after the mode's name) as a number, or `fallback` when absent.
  long num(int i, long fallback) const { return argc > i ? std::strtol(argv[i], nullptr, 10) : fallback; }
  // Parameter i as text, or nullptr when absent.
  const char* str(int i) const { return argc > i ? argv[i] : nullptr; }
};

std::string make_line(std::size_t len, std::size_t index) {
  std::string line(len, 'x');
  for (std::size_t i = 0; i < len; ++i) line[i] = static_cast<char>('a' + (i + index) % 26);
  line.push_back('\n');
  return line;
}

int mode_lines(const Args& a) {
  const long n = a.num(2, 10), len = a.num(3, 16), every = a.num(4, 0), chunk = a.num(5, 65536);
  std::string out, err;
  for (long i = 0; i < n; ++i) {
    std::string line = make_line(static_cast<std::size_t>(len), static_cast<std::size_t>(i));
    std::string& target = (every > 0 && (i + 1) % every == 0) ? err : out;
    target += line;
    if (target.size() >= static_cast<std::size_t>(chunk)) {
      write_str(&target == &out ? 1 : 2, target);
      target.clear();
    }
  }
  write_str(1, out);
  write_str(2, err);
  return 0;
}

int mode_both(const Args& a) {
  const long n = a.num(2, 10), len = a.num(3, 16);
  std::string chunk;
  for (long i = 0; i < n; ++i) chunk += make_line(static_cast<std::size_t>(len), static_cast<std::size_t>(i));
  // Interleave: a writer that fills stderr while the parent only drains stdout would deadlock
  // there; a correct reader takes both at once.
  for (std::size_t off = 0; off < chunk.size(); off += 65536) {
    std::size_t n = chunk.size() - off < 65536 ? chunk.size() - off : 65536;
    write_all(1, chunk.data() + off, n);
    write_all(2, chunk.data() + off, n);
  }
  return 0;
}

int mode_alternate(const Args& a) {
  const long n = a.num(2, 10);
  for (long i = 1; i <= n; ++i) {
    write_str(1, "out " + std::to_string(i) + "\n");
    write_str(2, "2026-01-01T00:00:00Z ERROR alternate: err " + std::to_string(i) + "\n");
  }
  return 0;
}

#if defined(_WIN32)
BOOL WINAPI ignore_ctrl(DWORD type) { return type == CTRL_BREAK_EVENT || type == CTRL_C_EVENT; }
BOOL WINAPI term_line_ctrl(DWORD type) {
  if (type != CTRL_BREAK_EVENT && type != CTRL_C_EVENT) return FALSE;
  write_str(1, "got SIGTERM\n");
  ExitProcess(0);
}
#else
extern "C" void on_term_line(int) {
  static const char msg[] = "got SIGTERM\n";
  ssize_t ignored = ::write(1, msg, sizeof msg - 1);
  (void)ignored;
  ::_exit(0);
}
#endif

int mode_grandchild(const Args& a) {
  const char* self = a.argv[0];
  const bool exit_after = a.str(2) != nullptr && std::strcmp(a.str(2), "exit") == 0;
#if defined(_WIN32)
  std::string cmd = std::string("\"") + self + "\" ignore-term";
  STARTUPINFOA si;
  ZeroMemory(&si, sizeof si);
  si.cb = sizeof si;
  PROCESS_INFORMATION pi;
  if (!CreateProcessA(nullptr, cmd.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si, &pi)) {
    return 4;
  }
  write_str(1, std::to_string(pi.dwProcessId) + "\n");
  if (exit_after) return 0;
  sleep_forever();
#else
  (void)self;
  int ready[2];
  if (::pipe(ready) != 0) return 4;
  pid_t pid = ::fork();
  if (pid < 0) return 4;
  if (pid == 0) {
    std::signal(SIGTERM, SIG_IGN);
    ::close(ready[0]);
    ::close(ready[1]);  // Tells the parent SIGTERM is ignored from now on.
    // Keep stdout closed here so the parent's reader sees EOF only when the leader is gone.
    ::close(1);
    ::close(2);
    sleep_forever();
  }
  ::close(ready[1]);
  char c;
  while (::read(ready[0], &c, 1) < 0 && errno == EINTR) {
  }
  write_str(1, std::to_string(pid) + "\n");
  if (exit_after) return 0;
  sleep_forever();
#endif
}

int mode_env_units(const Args& a) {
  const char* key = a.str(2);
  if (key == nullptr) return 2;
  std::string out;
  char hex[16];
#if defined(_WIN32)
  std::vector<wchar_t> key_w(std::strlen(key) + 1);
  for (std::size_t i = 0; i < key_w.size(); ++i) key_w[i] = static_cast<unsigned char>(key[i]);
  wchar_t value[4096];
  const DWORD n = GetEnvironmentVariableW(key_w.data(), value, 4096);
  if (n == 0 && GetLastError() == ERROR_ENVVAR_NOT_FOUND) {
    write_str(1, "unset\n");
    return 0;
  }
  for (DWORD i = 0; i < n && i < 4096; ++i) {
    std::snprintf(hex, sizeof hex, "%s%04x", i == 0 ? "" : " ", static_cast<unsigned>(value[i]));
    out += hex;
  }
#else
  const char* value = std::getenv(key);
  if (value == nullptr) {
    write_str(1, "unset\n");
    return 0;
  }
  for (std::size_t i = 0; value[i] != '\0'; ++i) {
    std::snprintf(hex, sizeof hex, "%s%02x", i == 0 ? "" : " ",
                  static_cast<unsigned>(static_cast<unsigned char>(value[i])));
    out += hex;
  }
#endif
  write_str(1, out + "\n");
  return 0;
}

int mode_fds(const Args&) {
  std::string out;
#if defined(_WIN32)
  out = "0 1 2";
#else
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) {
    // No /proc (the sandbox tests hide it): ask each possible fd instead.
    long limit = ::sysconf(_SC_OPEN_MAX);
    for (long fd = 0; fd < limit && fd < (1L << 20); ++fd) {
      if (::fcntl(static_cast<int>(fd), F_GETFD) < 0) continue;
      if (!out.empty()) out += ' ';
      out += std::to_string(fd);
    }
    write_str(1, out + "\n");
    return 0;
  }
  int self = ::dirfd(d);
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    if (std::atoi(e->d_name) == self) continue;
    if (!out.empty()) out += ' ';
    out += e->d_name;
  }
  ::closedir(d);
#endif
  write_str(1, out + "\n");
  return 0;
}

int mode_signals(const Args&) {
#if defined(_WIN32)
  write_str(1, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
#else
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 5;
  char line[512];
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "SigBlk:", 7) == 0 || std::strncmp(line, "SigIgn:", 7) == 0) {
      write_str(1, line);
    }
  }
  std::fclose(f);
#endif
  return 0;
}

#if defined(_WIN32)
// The C runtime's argv, environ and getcwd are in the ANSI code page, which cannot hold every
// character; modhost passes UTF-8 through UTF-16, so the helper reads the UTF-16 originals.
std::string utf8(const wchar_t* w, int len = -1) {
  int n = WideCharToMultiByte(CP_UTF8, 0, w, len, nullptr, 0, nullptr, nullptr);
  std::string out(static_cast<std::size_t>(n > 0 ? n : 0), '\0');
  if (n > 0) WideCharToMultiByte(CP_UTF8, 0, w, len, out.data(), n, nullptr, nullptr);
  if (len < 0 && !out.empty()) out.pop_back();  // the NUL that len = -1 counts
  return out;
}
#endif


int mode_exit(const Args& a) { return static_cast<int>(a.num(2, 0)); }

int mode_sleep(const Args& a) {
  sleep_seconds(a.str(2) != nullptr ? std::strtod(a.str(2), nullptr) : 1000);
  return 0;
}

int mode_ignore_term(const Args&) {
#if defined(_WIN32)
  SetConsoleCtrlHandler(ignore_ctrl, TRUE);
#else
  std::signal(SIGTERM, SIG_IGN);
#endif
  write_str(1, "ready\n");
  sleep_forever();
}

// A line stamped with the steady clock (system-wide: CLOCK_MONOTONIC, QueryPerformanceCounter),
// then silence: a reader can tell how long the line took to reach it.
int mode_stamp(const Args&) {
  const auto now = std::chrono::steady_clock::now().time_since_epoch();
  const long long ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  write_str(1, "stamp " + std::to_string(ns) + "\n");
  sleep_forever();
}

int mode_term_line(const Args&) {
#if defined(_WIN32)
  SetConsoleCtrlHandler(term_line_ctrl, TRUE);
#else
  std::signal(SIGTERM, on_term_line);
#endif
  write_str(1, "ready\n");
  sleep_forever();
}

int mode_argv(const Args& a) {
  for (int i = 2; i < a.argc; ++i) write_all(1, a.argv[i], std::strlen(a.argv[i]) + 1);
  return 0;
}

int mode_env(const Args&) {
#if defined(_WIN32)
  wchar_t* block = GetEnvironmentStringsW();
  std::string all;
  for (const wchar_t* e = block; e != nullptr && *e != L'\0'; e += wcslen(e) + 1) {
    all += utf8(e);
    all.push_back('\0');
  }
  FreeEnvironmentStringsW(block);
  write_str(1, all);
#else
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) write_all(1, *e, std::strlen(*e) + 1);
#endif
  return 0;
}

int mode_cwd(const Args&) {
  char buf[4096];
#if defined(_WIN32)
  wchar_t wbuf[4096];
  if (_wgetcwd(wbuf, 4096) == nullptr) return 5;
  std::snprintf(buf, sizeof buf, "%s", utf8(wbuf).c_str());
#else
  if (::getcwd(buf, sizeof buf) == nullptr) return 5;
#endif
  write_str(1, std::string(buf) + "\n");
  return 0;
}

int mode_no_newline(const Args&) {
  write_str(1, "partial");
  return 0;
}

int mode_invalid_utf8(const Args&) {
  write_str(1, "\xff\xfe\xc3\x28 bad \x80\n");
  return 0;
}

int mode_raise(const Args& a) {
#if defined(_WIN32)
  (void)a;
  std::abort();
#else
  const int sig = static_cast<int>(a.num(2, SIGABRT));
  std::signal(sig, SIG_DFL);
  std::raise(sig);
  return 6;
#endif
}

int mode_cat(const Args&) {
  char buf[65536];
  for (;;) {
#if defined(_WIN32)
    int n = _read(0, buf, sizeof buf);
#else
    ssize_t n = ::read(0, buf, sizeof buf);
#endif
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    write_all(1, buf, static_cast<std::size_t>(n));
  }
}

// One row per mode: its name (argv[1]), its parameters, what it does, and the function that does
// it. The function's return value is the exit code.
struct Mode {
  const char* name;
  const char* params;
  const char* does;
  int (*run)(const Args&);
};

const Mode kModes[] = {
    {"lines", "N L [K [C]]",
     "N lines of L bytes ('a'..'z' then '\\n'); every K-th goes to stderr (K=0: none); written in "
     "chunks of whole lines of at least C bytes (default 64 KiB)",
     mode_lines},
    {"both", "N L", "N lines to stdout and N lines to stderr, interleaved in 64 KiB chunks", mode_both},
    {"alternate", "N",
     "\"out I\" to stdout, then \"2026-01-01T00:00:00Z ERROR alternate: err I\" to stderr, for "
     "I = 1..N, one write per line",
     mode_alternate},
    {"exit", "N", "exit with code N", mode_exit},
    {"sleep", "S", "sleep S seconds (default 1000), then exit 0", mode_sleep},
    {"ignore-term", "", "ignore SIGTERM (CTRL_BREAK), print \"ready\", sleep forever", mode_ignore_term},
    {"stamp", "", "print \"stamp T\", T the steady clock in ns, then sleep forever", mode_stamp},
    {"term-line", "", "print \"ready\"; on SIGTERM (CTRL_BREAK) print \"got SIGTERM\", exit 0",
     mode_term_line},
    {"grandchild", "[exit]",
     "start a grandchild that ignores SIGTERM, print its pid, sleep forever (with \"exit\": exit 0 "
     "instead, leaving the grandchild running)",
     mode_grandchild},
    {"argv", "ARG...", "each argument after the mode, each followed by a NUL byte", mode_argv},
    {"env", "", "each environment entry, each followed by a NUL byte", mode_env},
    {"env-units", "KEY",
     "the value of KEY as hex code units, space-separated, then a newline (UTF-16 on Windows, so a "
     "lone surrogate shows; bytes on POSIX); \"unset\" if absent",
     mode_env_units},
    {"cwd", "", "the working directory", mode_cwd},
    {"fds", "", "the open file descriptors, space-separated (POSIX; \"0 1 2\" on Windows)", mode_fds},
    {"signals", "", "the SigBlk and SigIgn lines of /proc/self/status (Linux)", mode_signals},
    {"no-newline", "", "\"partial\" without a line end", mode_no_newline},
    {"invalid-utf8", "", "a line of bytes that are not UTF-8", mode_invalid_utf8},
    {"raise", "SIG", "raise signal SIG (POSIX) / abort (Windows)", mode_raise},
    {"cat", "", "copy stdin to stdout until EOF", mode_cat},
};

int usage(const std::string& problem) {
  std::string text = problem + "usage: modhost_test_child MODE [PARAMETERS...]\n";
  for (const Mode& m : kModes) {
    text += std::string("  ") + m.name + (m.params[0] != '\0' ? " " : "") + m.params + ": " + m.does + "\n";
  }
  write_str(2, text);
  return 2;
}

}  // namespace

#if defined(__SANITIZE_ADDRESS__) && !defined(_WIN32)
// LeakSanitizer needs /proc at exit and fails the process without it; the sandbox tests hide
// /proc from this helper on purpose, so leak checking is off exactly then.
extern "C" int __lsan_is_turned_off() { return ::access("/proc/self/task", F_OK) == 0 ? 0 : 1; }
#endif

int main(int argc, char** argv) {
#if defined(_WIN32)
  // Binary stdio: text mode would turn every "\n" written into "\r\n".
  _setmode(0, _O_BINARY);
  _setmode(1, _O_BINARY);
  _setmode(2, _O_BINARY);
  std::vector<std::string> utf8_args;
  std::vector<char*> utf8_argv;
  if (LPWSTR* wargv = CommandLineToArgvW(GetCommandLineW(), &argc)) {
    for (int i = 0; i < argc; ++i) utf8_args.push_back(utf8(wargv[i]));
    LocalFree(wargv);
    for (auto& a : utf8_args) utf8_argv.push_back(a.data());
    utf8_argv.push_back(nullptr);
    argv = utf8_argv.data();
  }
#endif
  if (argc < 2) return usage("");
  for (const Mode& m : kModes) {
    if (std::strcmp(argv[1], m.name) == 0) return m.run(Args{argc, argv});
  }
  if (std::strspn(argv[1], "0123456789") == std::strlen(argv[1])) {
    // Called with a process id as its first argument, as the CTRL_BREAK helper is: the Windows
    // tests run this program in the helper's place (MODHOST_CTRL_BREAK_HELPER) as a helper that
    // takes 1 s, so they can tell requests sent one after another from requests sent in parallel.
    sleep_seconds(1);
    return 0;
  }
  return usage(std::string("unknown mode: ") + argv[1] + "\n");
}
