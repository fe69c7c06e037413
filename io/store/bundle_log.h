#pragma once
// BundleLog: an append-only NDJSON file rotated by size. `<path>` is the live file; when the next
// line would take it past max_bytes it is renamed to `<path>.1` (`.1` to `.2`, ..., and the oldest,
// `.<max_files>`, is overwritten), and a new `<path>` is started. A line is never split across
// files; a line longer than max_bytes gets a file of its own. max_files = 0 keeps no rotated file
// (the live file is truncated instead).
//
// On open, a live file whose last line was cut short (a crash mid-write) gets a '\n' appended so
// the lines that follow stay whole.
//
// Thread contract: not thread-safe; the Store's writer thread owns it.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace squall::store {

class BundleLog {
 public:
  [[nodiscard]] static core::Result<std::unique_ptr<BundleLog>> open(std::string path,
                                                                     std::uint64_t max_bytes,
                                                                     unsigned max_files);
  ~BundleLog();
  BundleLog(const BundleLog&) = delete;
  BundleLog& operator=(const BundleLog&) = delete;

  // Appends `lines`: whole lines, each ending with '\n'. One write() when they fit in the live
  // file; otherwise split at line ends around rotations. An error names the file; what was written
  // before it stays written.
  [[nodiscard]] core::Result<void> append(std::string_view lines);

  const std::string& path() const { return path_; }
  std::uint64_t size_bytes() const { return size_; }  // of the live file
  std::uint64_t rotations() const { return rotations_; }

 private:
  BundleLog(std::string path, std::uint64_t max_bytes, unsigned max_files);
  core::Result<void> open_live();
  core::Result<void> write_all(std::string_view bytes);
  core::Result<void> rotate();

  std::string path_;
  std::uint64_t max_bytes_;
  unsigned max_files_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::uint64_t rotations_ = 0;
};

}  // namespace squall::store
