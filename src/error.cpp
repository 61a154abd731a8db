// The modhost error category and the OS-error constructor of Error.

#include "modhost/error.hpp"

#include "modhost_platform.hpp"

#include <string>
#include <system_error>

namespace modhost {

namespace {

class ModhostCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "modhost"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::invalid_argument:
        return "invalid argument";
      case errc::not_running:
        return "no running child process";
      case errc::cancelled:
        return "cancelled";
      case errc::unsupported:
        return "not supported";
      case errc::parse_error:
        return "parse error";
      case errc::host_contract:
        return "host broke a documented contract";
      case errc::internal:
        return "internal error (a modhost bug)";
    }
    return "unknown modhost error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& modhost_category() noexcept {
  // A function-local static is constructed once, thread-safely, and never depends on the order in
  // which other translation units' statics are initialised.
  static const ModhostCategory category;
  return category;
}

std::error_code make_error_code(errc e) noexcept {
  return std::error_code(static_cast<int>(e), modhost_category());
}

Error Error::from_os(int os_error, std::string context) {
  std::error_code code(os_error, std::system_category());
  std::string message = std::move(context);
  if (!message.empty()) message += ": ";
  message += detail::os_error_text(os_error);
  return Error(code, std::move(message));
}

}  // namespace modhost
