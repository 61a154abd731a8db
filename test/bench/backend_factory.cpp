// See backend_factory.hpp.

#include "backend_factory.hpp"

#include <utility>

namespace bench {

std::unique_ptr<modhost::LocalProcessBackend> make_backend(modhost::LocalBackendOptions options,
                                                           modhost::CancellationToken cancel) {
  auto created = modhost::LocalProcessBackend::create(std::move(cancel), std::move(options));
  return created ? std::move(*created) : nullptr;
}

}  // namespace bench
