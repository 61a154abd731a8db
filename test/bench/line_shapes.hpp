#pragma once
// The four W3 line shapes (docs/benchmarks.md), as the line writer (line_writer.cpp) names
// them on its command line. Shared by the benchmarks and the floor server, so both sides of a
// paired run spawn the very same writer.

#include <cstdint>

namespace bench {

// Indexes into kShapeNames; also carried in a FloorRequest.
enum class LineShape : std::int32_t { Tracing = 0, NoLevel, Json, Logfmt };

// The writer's names of the shapes, in LineShape order.
inline constexpr const char* kShapeNames[] = {"tracing", "nolevel", "json", "logfmt"};

inline const char* shape_name(LineShape shape) {
  auto i = static_cast<std::int32_t>(shape);
  return i >= 0 && i < 4 ? kShapeNames[i] : kShapeNames[0];
}

}  // namespace bench
