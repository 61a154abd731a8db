#pragma once
// The grace period of the tool's stop when the system gives the tool only so long after the
// signal that started it (Windows ends a process about 5 s after its console's close event).

#include <chrono>

namespace modhost::cli {

/// What a stop needs after its grace period when the system ends the tool at a fixed time: the
/// kill, the exits, the summary and the last output.
inline constexpr std::chrono::milliseconds kStopReserve{1500};

/// The grace period to give: `timeout` (the `-t` option), or, when the system ends the tool
/// `ends_within` after the stop began (nonzero; see `SignalEvent::ends_process_within`), at
/// most `ends_within - reserve`, and never less than zero.
std::chrono::milliseconds stop_grace(std::chrono::milliseconds timeout,
                                     std::chrono::milliseconds ends_within,
                                     std::chrono::milliseconds reserve = kStopReserve) noexcept;

}  // namespace modhost::cli
