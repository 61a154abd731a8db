#pragma once
// Finding the file a SpawnOptions::program names, the way execvp does on POSIX: a name with a
// path separator is used as it is (relative to the parent's working directory), a bare name is
// looked up on the PATH of the child's environment. Doing the search here, instead of letting
// CreateProcessW search, keeps it predictable: CreateProcessW would look in the host's own
// directory and the current directory first, and would guess at unquoted names with spaces.

#include <string>
#include <string_view>

#include "modhost/result.hpp"

namespace modhost::detail::win32 {

// The full path of the program to run. `path` and `pathext` are the child's PATH and PATHEXT, in
// UTF-16 as the child will get them (nullptr when unset: the system directories, and
// ".COM;.EXE;.BAT;.CMD"). A name without an
// extension is tried with each PATHEXT extension; a name with one is tried as it is first.
// Not found: the OS error ERROR_FILE_NOT_FOUND (the caller adds the program's name).
Result<std::wstring> resolve_program(std::string_view program, const wchar_t* path,
                                     const wchar_t* pathext);

}  // namespace modhost::detail::win32
