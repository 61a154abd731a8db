#include "formation.hpp"

#include <algorithm>

#include "strings.hpp"

namespace modhost::cli {

namespace {
constexpr int kMaxInstances = 100;  // Each type owns a block of 100 ports.
}  // namespace

Result<void> parse_formation(std::string_view text, Formation& formation) {
  for (std::string_view item : split(text, ',')) {
    item = trim(item);
    if (item.empty()) continue;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Error(errc::invalid_argument,
                   "formation item \"" + std::string(item) + "\" is not NAME=COUNT");
    }
    std::string_view name = trim(item.substr(0, eq));
    std::string_view count_text = trim(item.substr(eq + 1));
    int count = 0;
    if (!parse_non_negative_int(count_text, count) || count > kMaxInstances) {
      return Error(errc::invalid_argument, "formation count for \"" + std::string(name) +
                                               "\" must be a number from 0 to 100, not \"" +
                                               std::string(count_text) + "\"");
    }
    if (name == "all") {
      formation.all = count;
      continue;
    }
    if (!is_valid_process_name(name)) {
      return Error(errc::invalid_argument,
                   "formation item \"" + std::string(item) + "\" has an invalid process name");
    }
    auto it = std::find_if(formation.counts.begin(), formation.counts.end(),
                           [&](const auto& c) { return c.first == name; });
    if (it != formation.counts.end()) {
      it->second = count;
    } else {
      formation.counts.emplace_back(std::string(name), count);
    }
  }
  return ok_result();
}

std::string entry_names(const Procfile& procfile) {
  std::string out;
  for (const auto& e : procfile.entries) {
    if (!out.empty()) out += ", ";
    out += e.name;
  }
  return out;
}

Result<std::vector<InstancePlan>> plan_instances(const Procfile& procfile,
                                                 const Formation& formation,
                                                 const std::vector<std::string>& selected,
                                                 int base_port) {
  auto unknown = [&](const std::string& name, const char* where) {
    return Error(errc::invalid_argument, "unknown process \"" + name + "\" " + where +
                                             " (the Procfile defines: " + entry_names(procfile) +
                                             ")");
  };
  for (const auto& name : selected) {
    if (procfile.index_of(name) == procfile.entries.size()) return unknown(name, "to start");
  }
  for (const auto& c : formation.counts) {
    if (procfile.index_of(c.first) == procfile.entries.size()) {
      return unknown(c.first, "in the formation");
    }
  }

  std::vector<InstancePlan> plan;
  for (std::size_t i = 0; i < procfile.entries.size(); ++i) {
    const ProcfileEntry& entry = procfile.entries[i];
    int count = formation.all.value_or(1);
    if (!selected.empty() &&
        std::find(selected.begin(), selected.end(), entry.name) == selected.end()) {
      count = 0;
    }
    for (const auto& c : formation.counts) {
      if (c.first == entry.name) count = c.second;
    }
    for (int n = 1; n <= count; ++n) {
      long port = static_cast<long>(base_port) + 100L * static_cast<long>(i) + (n - 1);
      if (port > 65535) {
        return Error(errc::invalid_argument, "port " + std::to_string(port) + " of " + entry.name +
                                                 "." + std::to_string(n) +
                                                 " is above 65535; choose a lower base port (-p)");
      }
      InstancePlan p;
      p.name = entry.name;
      p.entry_index = i;
      p.instance = n;
      p.label = entry.name + "." + std::to_string(n);
      p.port = static_cast<int>(port);
      p.command = entry.command;
      plan.push_back(std::move(p));
    }
  }
  if (plan.empty()) {
    return Error(errc::invalid_argument, "nothing to run: the formation starts no process");
  }
  return plan;
}

}  // namespace modhost::cli
