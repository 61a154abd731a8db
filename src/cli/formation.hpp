#pragma once
// Which instances the tool starts: the formation (`-m web=2,all=1`), the processes named on the
// command line, and each instance's label and port.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "procfile.hpp"
#include "modhost/result.hpp"

namespace modhost::cli {

/// How many instances of each process type to run.
struct Formation {
  /// The count for every type not named in `counts` (`all=N`); 1 when unset.
  std::optional<int> all;
  /// Per-type counts, in the order given; a later count for the same name wins.
  std::vector<std::pair<std::string, int>> counts;
};

/// Parses `NAME=N[,NAME=N...]` (`all` is the default for every type) and adds it to `formation`,
/// so that repeated `-m` options accumulate. Errors (`errc::invalid_argument`): an item without
/// `=`, a bad name, a count that is not a non-negative integer up to 100.
Result<void> parse_formation(std::string_view text, Formation& formation);

/// One instance to run.
struct InstancePlan {
  /// The process type's name.
  std::string name;
  /// The type's index in the Procfile (decides the colour and the port block).
  std::size_t entry_index = 0;
  /// 1-based instance number within its type.
  int instance = 1;
  /// `name.N`: the label of its output, its `PS` variable and its module name.
  std::string label;
  /// Its `PORT`: base + 100 x entry_index + (instance - 1).
  int port = 0;
  /// The shell command.
  std::string command;
};

/// Expands the Procfile into instances, in Procfile order then instance order. `selected` (the
/// process names given after `start`) limits the run to those types when non-empty; an explicit
/// formation count still wins. Errors (`errc::invalid_argument`): a selected or formation name
/// the Procfile does not define, nothing left to run, a port above 65535.
Result<std::vector<InstancePlan>> plan_instances(const Procfile& procfile,
                                                 const Formation& formation,
                                                 const std::vector<std::string>& selected,
                                                 int base_port);

/// "web, worker": the entry names in file order, for messages.
std::string entry_names(const Procfile& procfile);

}  // namespace modhost::cli
