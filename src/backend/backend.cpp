// The out-of-line parts of modhost/backend.hpp.

#include "modhost/backend.hpp"

namespace modhost {

std::string_view to_string(BackendKind kind) noexcept {
  switch (kind) {
    case BackendKind::LocalProcess: return "LocalProcess";
    case BackendKind::K8s: return "K8s";
    case BackendKind::Static: return "Static";
    case BackendKind::Mock: return "Mock";
  }
  return "unknown";
}

}  // namespace modhost
