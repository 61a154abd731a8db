#pragma once
// Internals of CancellationToken that tests look at; not part of the public API.

#include <cstddef>

#include "modhost/cancellation.hpp"

namespace modhost::detail {

// The number of callbacks registered on `token` itself that have not run or been deregistered,
// including the one each live, uncancelled child token keeps on it. Thread-safe.
std::size_t pending_callbacks(const CancellationToken& token) noexcept;

}  // namespace modhost::detail
