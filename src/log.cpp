// Names of levels and streams, the one-line record format, and the default stderr sink.

#include "modhost/log.hpp"

#include <chrono>
#include <cstdint>
#include <string>

#include "modhost_platform.hpp"

namespace modhost {

namespace {

struct CivilTime {
  std::int64_t year;
  unsigned month, day, hour, minute, second, millisecond;
};

// Converts a system_clock time to UTC calendar fields without any OS call (gmtime_r is not
// portable and not needed): the days-to-civil algorithm of Howard Hinnant's "chrono-compatible
// low-level date algorithms", valid for every day the clock can represent.
CivilTime to_civil(std::chrono::system_clock::time_point tp) noexcept {
  std::int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
  // Floor division, so that instants before 1970 land in the right day.
  std::int64_t days = ms / 86400000;
  std::int64_t ms_of_day = ms % 86400000;
  if (ms_of_day < 0) {
    ms_of_day += 86400000;
    --days;
  }
  std::int64_t z = days + 719468;
  std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  CivilTime t{};
  t.day = doy - (153 * mp + 2) / 5 + 1;
  t.month = mp < 10 ? mp + 3 : mp - 9;
  t.year = static_cast<std::int64_t>(yoe) + era * 400 + (t.month <= 2 ? 1 : 0);
  auto rest = static_cast<unsigned>(ms_of_day);
  t.millisecond = rest % 1000;
  rest /= 1000;
  t.second = rest % 60;
  rest /= 60;
  t.minute = rest % 60;
  t.hour = rest / 60;
  return t;
}

void append_digits(std::string& out, std::uint64_t value, int width) {
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && n < 20);
  for (int i = n; i < width; ++i) out += '0';
  while (n > 0) out += tmp[--n];
}

void append_timestamp(std::string& out, std::chrono::system_clock::time_point tp) {
  CivilTime t = to_civil(tp);
  if (t.year < 0) {
    out += '-';
    append_digits(out, static_cast<std::uint64_t>(-t.year), 4);
  } else {
    append_digits(out, static_cast<std::uint64_t>(t.year), 4);
  }
  out += '-';
  append_digits(out, t.month, 2);
  out += '-';
  append_digits(out, t.day, 2);
  out += 'T';
  append_digits(out, t.hour, 2);
  out += ':';
  append_digits(out, t.minute, 2);
  out += ':';
  append_digits(out, t.second, 2);
  out += '.';
  append_digits(out, t.millisecond, 3);
  out += 'Z';
}

}  // namespace

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::Trace: return "TRACE";
    case LogLevel::Debug: return "DEBUG";
    case LogLevel::Info: return "INFO";
    case LogLevel::Warn: return "WARN";
    case LogLevel::Error: return "ERROR";
  }
  return "INFO";
}

std::string_view to_string(StreamKind stream) noexcept {
  return stream == StreamKind::Stderr ? "stderr" : "stdout";
}

std::string_view to_string(SupervisorEvent event) noexcept {
  switch (event) {
    case SupervisorEvent::None: return "none";
    case SupervisorEvent::Spawned: return "spawned";
    case SupervisorEvent::Exited: return "exited";
    case SupervisorEvent::Stopped: return "stopped";
    case SupervisorEvent::StopRequested: return "stop-requested";
    case SupervisorEvent::Killed: return "killed";
    case SupervisorEvent::ShutdownStarted: return "shutdown-started";
    case SupervisorEvent::UnknownInstance: return "unknown-instance";
    case SupervisorEvent::Warning: return "warning";
    case SupervisorEvent::Error: return "error";
  }
  return "unknown";
}

std::string format_record(const LogRecord& record) {
  std::string out;
  out.reserve(24 + 6 + record.module.size() + 37 + 12 + record.line.size() + 1);
  append_timestamp(out, record.timestamp);
  out += ' ';
  std::string_view level = to_string(record.level);
  out.append(5 - level.size(), ' ');
  out += level;
  if (!record.module.empty()) {
    out += ' ';
    out += record.module;
  }
  if (!record.instance_id.is_nil()) {
    out += ' ';
    out += record.instance_id.to_string();
  }
  out += ' ';
  out += record.stream ? to_string(*record.stream) : std::string_view("supervisor");
  out += ": ";
  out += record.line;
  out += '\n';
  return out;
}

LogSink stderr_sink() {
  return [](const LogRecord& record) { detail::write_stderr(format_record(record)); };
}

}  // namespace modhost
