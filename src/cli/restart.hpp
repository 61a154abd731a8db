#pragma once
// What the tool does when a process ends by itself: by default the run stops; `--can-die` names
// processes that may end without that, `--restart` processes that are started again after an
// exponential backoff. Pure, apart from reading the backoff's base from the environment.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "procfile.hpp"
#include "modhost/result.hpp"

namespace modhost::cli {

/// The delays between the restarts of one process: the base (1 s) after its first end, doubling
/// after each quick end up to 30 times the base (30 s), back to the base once it has run for 60
/// times the base (60 s) before ending.
class Backoff {
 public:
  /// A backoff starting at `base`.
  explicit Backoff(std::chrono::milliseconds base = std::chrono::seconds(1)) noexcept;

  /// The delay before starting again a process that ended after running for `ran`; each call
  /// counts as one restart.
  std::chrono::milliseconds next(std::chrono::steady_clock::duration ran) noexcept;

 private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds previous_{0};  // 0: no restart since the last reset
};

/// The base of every process's backoff: 1 s, or the milliseconds in the environment variable
/// MODHOST_RESTART_BACKOFF_MS (1 to 60000), which lets the tool's tests see several restarts
/// within a second. Not documented for users.
std::chrono::milliseconds restart_backoff_base();

/// Which processes may end by themselves without stopping the run.
struct EndRules {
  /// `--can-die`: process names (Procfile entries) whose end is only reported.
  std::vector<std::string> can_die;
  /// `--restart`: process names that are started again when they end.
  std::vector<std::string> restart;
  /// `--restart all`.
  bool restart_all = false;

  /// True when `name`'s instances are restarted.
  bool restarts(const std::string& name) const;
  /// True when `name`'s instances may end without stopping the run (can die, or restart).
  bool may_end(const std::string& name) const;
  /// Errors (`errc::invalid_argument`): a name that is not an entry of `procfile`, e.g.
  /// `--restart: unknown process "wbe" (the Procfile has web, worker)`.
  Result<void> check(const Procfile& procfile) const;
};

/// The restarts of one run, kept by the thread that decides them (the tool's main thread): when
/// each process last started, when its pending restart is due, how often it was restarted. Not
/// thread-safe; pure (the caller passes the time).
class RestartSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  /// A schedule whose backoffs start at `base`.
  explicit RestartSchedule(std::chrono::milliseconds base) noexcept : base_(base) {}

  /// `label` (an instance, `web.1`) started at `now`.
  void started(const std::string& label, Clock::time_point now);

  /// `label` ended at `now` and is to be restarted: returns the delay (see `Backoff`) and the
  /// number of this restart (1 for the first).
  std::pair<std::chrono::milliseconds, int> schedule(const std::string& label, Clock::time_point now);

  /// When the earliest pending restart is due; `Clock::time_point::max()` when none is.
  Clock::time_point next_due() const noexcept;

  /// True while a restart is pending.
  bool pending() const noexcept { return next_due() != Clock::time_point::max(); }

  /// The labels whose restart is due at `now`, earliest first; they are no longer pending, and
  /// count as restarted.
  std::vector<std::string> take_due(Clock::time_point now);

  /// Cancels every pending restart (they do not count); returns their labels.
  std::vector<std::string> cancel_all();

  /// How often each label that was restarted was, in the order the labels first started.
  std::vector<std::pair<std::string, int>> counts() const;

 private:
  struct Slot {
    std::string label;
    Backoff backoff;
    Clock::time_point started_at{};
    Clock::time_point due = Clock::time_point::max();
    int restarts = 0;
  };
  Slot& slot(const std::string& label);

  std::chrono::milliseconds base_;
  std::vector<Slot> slots_;  // a run has a handful of processes: a vector is the simplest map
};

/// The summary line of the restarts, e.g. "restarted: web.1 (3 times), worker.1 (once)"; empty
/// when `counts` (label and restarts, as `RestartSchedule::counts` gives them) is empty.
std::string restart_summary(const std::vector<std::pair<std::string, int>>& counts);

}  // namespace modhost::cli
