// Uuid: version-7 generation (RFC 9562), the canonical text form, and parsing.

#include "modhost/uuid.hpp"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>

#include "modhost_platform.hpp"

namespace modhost {

namespace {

// Layout of the 74 bits after the timestamp, following RFC 9562 section 6.2 method 1 ("fixed
// bit-length dedicated counter"): a 42-bit counter fills rand_a (12 bits) and the top 30 bits of
// rand_b, and the last 32 bits are fresh random bits for every id. The counter starts at a random
// value with its top bit clear each new millisecond, which leaves at least 2^41 increments of
// headroom before it could overflow within one millisecond.
constexpr int kCounterBits = 42;
constexpr std::uint64_t kCounterMax = (std::uint64_t{1} << kCounterBits) - 1;
constexpr std::uint64_t kCounterSeedMask = kCounterMax >> 1;

class V7Generator {
 public:
  Uuid next() noexcept {
    std::lock_guard<std::mutex> lock(mu_);
    std::uint64_t now_ms = unix_ms();
    // Strictly increasing ids even when the clock stands still or goes back (NTP step): keep
    // the last timestamp and count up from it.
    if (now_ms > last_ms_) {
      last_ms_ = now_ms;
      counter_ = random64() & kCounterSeedMask;
    } else if (counter_ == kCounterMax) {
      // RFC 9562 allows advancing the timestamp when the counter is exhausted; the next real
      // millisecond catches up with it.
      ++last_ms_;
      counter_ = random64() & kCounterSeedMask;
    } else {
      ++counter_;
    }
    std::uint32_t tail = static_cast<std::uint32_t>(random64());

    Uuid u;
    for (int i = 0; i < 6; ++i) u.bytes[i] = static_cast<std::uint8_t>(last_ms_ >> (40 - 8 * i));
    u.bytes[6] = static_cast<std::uint8_t>(0x70 | ((counter_ >> 38) & 0x0F));
    u.bytes[7] = static_cast<std::uint8_t>(counter_ >> 30);
    u.bytes[8] = static_cast<std::uint8_t>(0x80 | ((counter_ >> 24) & 0x3F));
    u.bytes[9] = static_cast<std::uint8_t>(counter_ >> 16);
    u.bytes[10] = static_cast<std::uint8_t>(counter_ >> 8);
    u.bytes[11] = static_cast<std::uint8_t>(counter_);
    for (int i = 0; i < 4; ++i) u.bytes[12 + i] = static_cast<std::uint8_t>(tail >> (24 - 8 * i));
    return u;
  }

  static std::uint64_t unix_ms() noexcept {
    auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
    return ms < 0 ? 0 : static_cast<std::uint64_t>(ms);
  }

  // fork() without exec: the lock is taken before the fork, so the child never inherits it held by
  // a thread that does not exist there, and the child drops the unused part of the random batch,
  // so its ids do not repeat the tail bits of the parent's next ids.
  static void before_fork() noexcept;
  static void after_fork_in_parent() noexcept;
  static void after_fork_in_child() noexcept;

 private:
  // Random bits come from the OS in batches, so that an id costs a system call only once every
  // 32 draws.
  std::uint64_t random64() noexcept {
    if (pos_ == kBatch) {
      if (!detail::os_random(batch_, sizeof batch_).ok()) fill_fallback();
      pos_ = 0;
    }
    return batch_[pos_++];
  }

  // The documented fallback when the OS source fails: splitmix64 seeded from the clocks and the
  // previous state. Not secure, but ids only need to be unique, and the counter ensures that.
  void fill_fallback() noexcept {
    std::uint64_t seed = fallback_state_ ^
                         static_cast<std::uint64_t>(
                             std::chrono::steady_clock::now().time_since_epoch().count()) ^
                         (static_cast<std::uint64_t>(
                              std::chrono::system_clock::now().time_since_epoch().count())
                          << 1);
    for (auto& word : batch_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
    fallback_state_ = seed;
  }

  static constexpr std::size_t kBatch = 32;
  std::mutex mu_;
  std::uint64_t last_ms_ = 0;
  std::uint64_t counter_ = 0;
  std::uint64_t batch_[kBatch] = {};
  std::size_t pos_ = kBatch;
  std::uint64_t fallback_state_ = 0;
};

V7Generator& generator() noexcept {
  // Deliberately leaked: ids may be created from static destructors or threads still running at
  // exit(), after a function-local static object would have been destroyed.
  static V7Generator* g = [] {
    auto* created = new V7Generator();
    detail::at_fork(&V7Generator::before_fork, &V7Generator::after_fork_in_parent,
                    &V7Generator::after_fork_in_child);
    return created;
  }();
  return *g;
}

void V7Generator::before_fork() noexcept { generator().mu_.lock(); }
void V7Generator::after_fork_in_parent() noexcept { generator().mu_.unlock(); }
void V7Generator::after_fork_in_child() noexcept {
  V7Generator& g = generator();
  g.pos_ = kBatch;
  g.mu_.unlock();
}

constexpr char kHex[] = "0123456789abcdef";

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_dash_position(std::size_t i) noexcept { return i == 8 || i == 13 || i == 18 || i == 23; }

// The input as it is quoted in error messages: at most 48 bytes, non-printable bytes escaped.
std::string quote(std::string_view text) {
  std::string out = "\"";
  std::size_t n = text.size() < 48 ? text.size() : 48;
  for (std::size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  if (n < text.size()) out += "...";
  out += '"';
  return out;
}

std::string describe_char(char ch) {
  auto c = static_cast<unsigned char>(ch);
  if (c >= 0x20 && c < 0x7f) return std::string("'") + ch + "'";
  return std::string("byte 0x") + kHex[c >> 4] + kHex[c & 0x0F];
}

}  // namespace

Uuid Uuid::new_v7() noexcept { return generator().next(); }

Result<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() != 36) {
    return Error(errc::parse_error, "invalid UUID " + quote(text) +
                                        ": expected 36 characters (8-4-4-4-12 hex digits), got " +
                                        std::to_string(text.size()));
  }
  Uuid u;
  std::size_t nibble = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (is_dash_position(i)) {
      if (c != '-') {
        return Error(errc::parse_error, "invalid UUID " + quote(text) + ": expected '-' at position " +
                                            std::to_string(i) + ", found " + describe_char(c));
      }
      continue;
    }
    int v = hex_value(c);
    if (v < 0) {
      return Error(errc::parse_error, "invalid UUID " + quote(text) + ": invalid character " +
                                          describe_char(c) + " at position " + std::to_string(i) +
                                          " (expected a hexadecimal digit)");
    }
    u.bytes[nibble / 2] = static_cast<std::uint8_t>(u.bytes[nibble / 2] | (nibble % 2 == 0 ? v << 4 : v));
    ++nibble;
  }
  return u;
}

std::string Uuid::to_string() const {
  std::string out(36, '-');
  std::size_t pos = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    if (is_dash_position(pos)) ++pos;
    out[pos++] = kHex[bytes[i] >> 4];
    out[pos++] = kHex[bytes[i] & 0x0F];
  }
  return out;
}

bool Uuid::is_nil() const noexcept {
  for (std::uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

std::size_t UuidHash::operator()(const Uuid& u) const noexcept {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  for (int i = 0; i < 8; ++i) {
    hi = (hi << 8) | u.bytes[i];
    lo = (lo << 8) | u.bytes[8 + i];
  }
  // A multiply-xorshift finaliser: v7 ids differ mostly in their low bits, and a plain xor of the
  // halves would leave buckets correlated with the timestamp.
  std::uint64_t h = hi ^ (lo * 0x9e3779b97f4a7c15ULL);
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  h ^= h >> 32;
  return static_cast<std::size_t>(h);
}

}  // namespace modhost
