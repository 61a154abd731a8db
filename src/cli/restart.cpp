#include "restart.hpp"

#include <algorithm>
#include <cstdlib>

#include "formation.hpp"
#include "strings.hpp"

namespace modhost::cli {

namespace {

// The ceiling of the delay and the run time after which it starts over, in multiples of the base
// (30 s and 60 s for the 1 s base), so that a test's small base scales them too.
constexpr int kCeilingFactor = 30;
constexpr int kHealthyFactor = 60;

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

Backoff::Backoff(std::chrono::milliseconds base) noexcept
    : base_(base.count() > 0 ? base : std::chrono::milliseconds(1)) {}

std::chrono::milliseconds Backoff::next(std::chrono::steady_clock::duration ran) noexcept {
  // A process that ran long enough was healthy: its end is not part of a crash loop.
  if (ran >= base_ * kHealthyFactor) previous_ = std::chrono::milliseconds(0);
  previous_ = previous_.count() == 0 ? base_ : std::min(previous_ * 2, base_ * kCeilingFactor);
  return previous_;
}

std::chrono::milliseconds restart_backoff_base() {
  const char* text = std::getenv("MODHOST_RESTART_BACKOFF_MS");
  int ms = 0;
  if (text != nullptr && parse_non_negative_int(text, ms) && ms >= 1 && ms <= 60000) {
    return std::chrono::milliseconds(ms);
  }
  return std::chrono::seconds(1);
}

bool EndRules::restarts(const std::string& name) const {
  return restart_all || contains(restart, name);
}

bool EndRules::may_end(const std::string& name) const {
  return restarts(name) || contains(can_die, name);
}

Result<void> EndRules::check(const Procfile& procfile) const {
  const std::pair<const char*, const std::vector<std::string>*> lists[] = {
      {"--can-die", &can_die}, {"--restart", &restart}};
  for (const auto& list : lists) {
    for (const std::string& name : *list.second) {
      if (procfile.index_of(name) == procfile.entries.size()) {
        return Error(errc::invalid_argument, std::string(list.first) + ": unknown process \"" +
                                                 name + "\" (the Procfile has " +
                                                 entry_names(procfile) + ")");
      }
    }
  }
  return ok_result();
}

RestartSchedule::Slot& RestartSchedule::slot(const std::string& label) {
  for (Slot& s : slots_) {
    if (s.label == label) return s;
  }
  slots_.push_back(Slot{label, Backoff(base_)});
  return slots_.back();
}

void RestartSchedule::started(const std::string& label, Clock::time_point now) {
  slot(label).started_at = now;
}

std::pair<std::chrono::milliseconds, int> RestartSchedule::schedule(const std::string& label,
                                                                    Clock::time_point now) {
  Slot& s = slot(label);
  std::chrono::milliseconds delay = s.backoff.next(now - s.started_at);
  s.due = now + delay;
  return {delay, s.restarts + 1};
}

RestartSchedule::Clock::time_point RestartSchedule::next_due() const noexcept {
  Clock::time_point earliest = Clock::time_point::max();
  for (const Slot& s : slots_) earliest = std::min(earliest, s.due);
  return earliest;
}

std::vector<std::string> RestartSchedule::take_due(Clock::time_point now) {
  std::vector<Slot*> due;
  for (Slot& s : slots_) {
    if (s.due <= now) due.push_back(&s);
  }
  std::sort(due.begin(), due.end(), [](const Slot* a, const Slot* b) { return a->due < b->due; });
  std::vector<std::string> labels;
  for (Slot* s : due) {
    s->due = Clock::time_point::max();
    ++s->restarts;
    labels.push_back(s->label);
  }
  return labels;
}

std::vector<std::string> RestartSchedule::cancel_all() {
  std::vector<std::string> labels;
  for (Slot& s : slots_) {
    if (s.due == Clock::time_point::max()) continue;
    s.due = Clock::time_point::max();
    labels.push_back(s.label);
  }
  return labels;
}

std::vector<std::pair<std::string, int>> RestartSchedule::counts() const {
  std::vector<std::pair<std::string, int>> out;
  for (const Slot& s : slots_) {
    if (s.restarts > 0) out.emplace_back(s.label, s.restarts);
  }
  return out;
}

std::string restart_summary(const std::vector<std::pair<std::string, int>>& counts) {
  std::string names;
  for (const auto& c : counts) {
    if (!names.empty()) names += ", ";
    names += c.first + (c.second == 1 ? " (once)" : " (" + std::to_string(c.second) + " times)");
  }
  return names.empty() ? std::string() : "restarted: " + names;
}

}  // namespace modhost::cli
