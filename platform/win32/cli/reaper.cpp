// Win32 half of src/cli/reaper.hpp: nothing to do. A Windows process is not reaped by its parent
// (no zombies), and the library's job objects already end each instance's whole tree.

#include "cli/reaper.hpp"

namespace modhost::cli {

Result<void> start_orphan_reaper() { return ok_result(); }

}  // namespace modhost::cli
