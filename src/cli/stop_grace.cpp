// stop_grace (stop_grace.hpp).

#include "cli/stop_grace.hpp"

#include <algorithm>

namespace modhost::cli {

std::chrono::milliseconds stop_grace(std::chrono::milliseconds timeout,
                                     std::chrono::milliseconds ends_within,
                                     std::chrono::milliseconds reserve) noexcept {
  using std::chrono::milliseconds;
  if (ends_within <= milliseconds(0)) return timeout;
  // Cut so that the stop, killed survivors and summary included, ends before the system ends
  // the tool: a child the system would kill anyway gets no less, and the output is not lost.
  return std::clamp(ends_within - reserve, milliseconds(0), std::max(timeout, milliseconds(0)));
}

}  // namespace modhost::cli
