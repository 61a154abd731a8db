#include "summary.hpp"

#include "signals.hpp"

namespace modhost::cli {

InstanceEnd classify_end(const InstanceStatus& status, bool forced) {
  InstanceEnd end;
  end.label = status.handle.module;
  end.status = status.exit_status.value_or(ExitStatus::exited(-1));
  if (status.exited_by_itself) {
    end.kind = EndKind::ExitedByItself;
  } else if (status.stop_result && status.stop_result->killed) {
    // The backend kills at the end of the grace period or when kill_all (the second interrupt)
    // cuts it short; once the tool has forced the stop, a kill is that one.
    end.kind = forced ? EndKind::KilledAtOnce : EndKind::Killed;
  } else {
    end.kind = EndKind::Stopped;
  }
  return end;
}

std::string format_seconds(std::chrono::milliseconds duration) {
  long ms = static_cast<long>(duration.count());
  std::string out = std::to_string(ms / 1000);
  long frac = ms % 1000;
  if (frac != 0) {
    std::string digits = std::to_string(1000 + frac).substr(1);
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    out += "." + digits;
  }
  return out + "s";
}

std::string describe_status(const ExitStatus& status) {
  if (std::optional<int> sig = status.signal()) return "terminated by " + signal_number_name(*sig);
  return "exited with code " + std::to_string(status.value);
}

std::string describe_end(const InstanceEnd& end, std::chrono::milliseconds grace) {
  switch (end.kind) {
    case EndKind::Killed: return "killed after " + format_seconds(grace);
    case EndKind::KilledAtOnce: return "killed at once";
    case EndKind::ExitedByItself:
    case EndKind::Stopped: break;
  }
  return describe_status(end.status);
}

std::vector<std::string> summary_lines(const std::vector<InstanceEnd>& ends,
                                       std::chrono::milliseconds grace) {
  struct Group {
    EndKind kind;
    std::string title;
    std::string names;
  };
  std::vector<Group> groups;
  for (const InstanceEnd& end : ends) {
    Group* g = nullptr;
    for (auto& existing : groups) {
      if (existing.kind == end.kind) g = &existing;
    }
    if (g == nullptr) {
      std::string title;
      switch (end.kind) {
        case EndKind::ExitedByItself: title = "exited by itself"; break;
        case EndKind::Stopped: title = "stopped on SIGTERM"; break;
        case EndKind::Killed: title = "killed after " + format_seconds(grace); break;
        case EndKind::KilledAtOnce: title = "killed at once"; break;
      }
      groups.push_back({end.kind, std::move(title), {}});
      g = &groups.back();
    }
    if (!g->names.empty()) g->names += ", ";
    g->names += end.label;
    if (end.kind == EndKind::ExitedByItself) g->names += " (" + describe_status(end.status) + ")";
  }
  std::vector<std::string> lines;
  for (const auto& g : groups) lines.push_back(g.title + ": " + g.names);
  return lines;
}

}  // namespace modhost::cli
