#pragma once
// The one place where the benchmarks construct a LocalProcessBackend (through
// LocalProcessBackend::create).

#include <memory>

#include "modhost/cancellation.hpp"
#include "modhost/local_backend.hpp"

namespace bench {

// A backend with `options`, stopped when `cancel` is cancelled; null when it cannot be created
// (callers skip the benchmark then).
std::unique_ptr<modhost::LocalProcessBackend> make_backend(
    modhost::LocalBackendOptions options, modhost::CancellationToken cancel = modhost::CancellationToken());

}  // namespace bench
