#pragma once
// A fresh folder under /tmp for the tool tests that write files (POSIX: mkdtemp), removed with
// the files it was asked to name when the test ends.

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace modhost::cli::test {

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/modhost-cli-XXXXXX";
    if (::mkdtemp(pattern) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    for (const std::string& f : files_) ::unlink(f.c_str());
    if (!path_.empty()) ::rmdir(path_.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /// The folder; empty when it could not be made.
  const std::string& path() const { return path_; }
  /// The path of the file `name` in the folder, removed at the end.
  std::string file(const std::string& name) {
    files_.push_back(path_ + "/" + name);
    return files_.back();
  }
  /// Writes `text` to the file `name` with the permission bits `mode`; returns its path.
  std::string write(const std::string& name, const std::string& text, mode_t mode = 0644) {
    std::string path = file(name);
    std::ofstream(path) << text;
    EXPECT_EQ(::chmod(path.c_str(), mode), 0) << path;
    return path;
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

}  // namespace modhost::cli::test
