// is_gui_program (graceful_stop.hpp): the subsystem field of a program's PE header, which says
// whether Windows gives the program a console (console subsystem) or not (GUI subsystem), and so
// which graceful request can reach it.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "graceful_stop.hpp"

namespace modhost::detail::win32 {
namespace {

// Reads exactly `size` bytes at `offset`; false on any shortfall.
bool read_at(HANDLE file, std::uint32_t offset, void* buf, DWORD size) {
  OVERLAPPED at{};
  at.Offset = offset;
  DWORD got = 0;
  return ReadFile(file, buf, size, &got, &at) && got == size;
}

}  // namespace

bool is_gui_program(const std::wstring& path) noexcept {
  UniqueHandle file(CreateFileW(path.c_str(), GENERIC_READ,
                                FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!file.valid()) return false;
  IMAGE_DOS_HEADER dos{};
  if (!read_at(file.get(), 0, &dos, sizeof dos) || dos.e_magic != IMAGE_DOS_SIGNATURE ||
      dos.e_lfanew <= 0) {
    return false;
  }
  // The NT signature, the file header, and the optional header up to its Subsystem field, which
  // sits at the same offset in the PE32 and PE32+ layouts.
  constexpr DWORD kSubsystemOffset = offsetof(IMAGE_OPTIONAL_HEADER64, Subsystem);
  static_assert(kSubsystemOffset == offsetof(IMAGE_OPTIONAL_HEADER32, Subsystem),
                "Subsystem is at one offset in both optional header layouts");
  struct {
    DWORD signature;
    IMAGE_FILE_HEADER file;
    unsigned char optional[kSubsystemOffset + sizeof(WORD)];
  } nt{};
  const auto at = static_cast<std::uint32_t>(dos.e_lfanew);
  if (!read_at(file.get(), at, &nt, sizeof nt) || nt.signature != IMAGE_NT_SIGNATURE ||
      nt.file.SizeOfOptionalHeader < sizeof nt.optional) {
    return false;
  }
  WORD subsystem = 0;
  std::memcpy(&subsystem, nt.optional + kSubsystemOffset, sizeof subsystem);
  return subsystem == IMAGE_SUBSYSTEM_WINDOWS_GUI;
}

}  // namespace modhost::detail::win32
