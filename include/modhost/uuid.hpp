#pragma once
/// @file uuid.hpp
/// `Uuid`: RFC 9562 identifiers; modhost creates version 7 (time-ordered) ids for instances.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "modhost/result.hpp"

namespace modhost {

/// A 128-bit UUID stored as 16 bytes in network order. The default value is the nil UUID. Apart
/// from `new_v7()`, every member is pure computation on the 16 bytes: none blocks, and only
/// `parse()` can fail.
struct Uuid {
  /// The raw bytes, most significant first.
  std::array<std::uint8_t, 16> bytes{};

  /// A new version-7 UUID: 48-bit Unix timestamp in milliseconds, version and variant bits, and
  /// random bits from the OS. Ids made by one process are strictly increasing (also within one
  /// millisecond, and from several threads). Thread-safe; never fails (if the OS random source
  /// fails, the random bits come from a process-local generator seeded from the clock). Never
  /// blocks for long: one process-wide mutex, held briefly, and a system call for random bytes
  /// once every 32 ids (`getrandom`, which early at boot waits for the kernel's pool to be
  /// initialised, else `/dev/urandom`; `BCryptGenRandom` on Windows).
  static Uuid new_v7() noexcept;

  /// Parses the canonical 8-4-4-4-12 hexadecimal form (either case); pure computation, never
  /// blocks. Errors: `errc::parse_error` (a length other than 36, a missing `-`, a character that
  /// is not a hexadecimal digit), its message saying what is wrong and where.
  static Result<Uuid> parse(std::string_view text);

  /// The canonical lowercase 8-4-4-4-12 form, 36 characters. Never fails.
  std::string to_string() const;

  /// True for the nil UUID (all zero bits).
  bool is_nil() const noexcept;

  /// The version field (7 for ids from `new_v7()`, 0 for nil).
  int version() const noexcept { return bytes[6] >> 4; }

  /// True when all 16 bytes are equal.
  friend bool operator==(const Uuid& a, const Uuid& b) noexcept { return a.bytes == b.bytes; }
  /// True when any byte differs.
  friend bool operator!=(const Uuid& a, const Uuid& b) noexcept { return a.bytes != b.bytes; }
  /// Byte-wise ordering; for v7 ids this is creation order.
  friend bool operator<(const Uuid& a, const Uuid& b) noexcept { return a.bytes < b.bytes; }
};

/// A hash for using `Uuid` as a key in unordered containers.
struct UuidHash {
  /// Mixes the 16 bytes into a `size_t`.
  std::size_t operator()(const Uuid& u) const noexcept;
};

}  // namespace modhost
