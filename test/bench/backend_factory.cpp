// See backend_factory.hpp.

#include "backend_factory.hpp"

#include <utility>

namespace bench {

std::unique_ptr<modhost::LocalProcessBackend> make_backend(modhost::LocalBackendOptions options,
                                                           modhost::CancellationToken cancel) {
  return std::make_unique<modhost::LocalProcessBackend>(std::move(cancel), std::move(options));
}

}  // namespace bench
