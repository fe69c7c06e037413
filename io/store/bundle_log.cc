#include "io/store/bundle_log.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace squall::store {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

BundleLog::BundleLog(std::string path, std::uint64_t max_bytes, unsigned max_files)
    : path_(std::move(path)), max_bytes_(max_bytes), max_files_(max_files) {}

BundleLog::~BundleLog() {
  if (fd_ >= 0) ::close(fd_);
}

core::Result<std::unique_ptr<BundleLog>> BundleLog::open(std::string path, std::uint64_t max_bytes,
                                                         unsigned max_files) {
  std::unique_ptr<BundleLog> log(new BundleLog(std::move(path), max_bytes, max_files));
  if (auto r = log->open_live(); !r) return tl::unexpected(std::move(r.error()));
  return log;
}

core::Result<void> BundleLog::open_live() {
  int fd = ::open(path_.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return core::make_error("bundle log " + path_ + ": cannot open: " + errno_text(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return core::make_error("bundle log " + path_ + ": cannot stat: " + errno_text(err));
  }
  fd_ = fd;
  size_ = static_cast<std::uint64_t>(st.st_size);
  if (size_ > 0) {
    char last = '\n';
    if (::pread(fd_, &last, 1, static_cast<off_t>(size_ - 1)) == 1 && last != '\n') {
      return write_all("\n");  // a line cut short by a crash stays on its own line
    }
  }
  return {};
}

core::Result<void> BundleLog::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return core::make_error("bundle log " + path_ + ": write failed: " + errno_text(errno));
    }
    size_ += static_cast<std::uint64_t>(n);
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

core::Result<void> BundleLog::rotate() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  core::Result<void> result;
  if (max_files_ == 0) {
    if (::unlink(path_.c_str()) != 0 && errno != ENOENT) {
      result = core::make_error("bundle log " + path_ + ": cannot remove: " + errno_text(errno));
    }
  } else {
    for (unsigned i = max_files_; i > 1; --i) {
      std::string from = path_ + "." + std::to_string(i - 1);
      std::string to = path_ + "." + std::to_string(i);
      if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT && result) {
        result = core::make_error("bundle log " + from + ": cannot rename to " + to + ": " +
                                  errno_text(errno));
      }
    }
    std::string first = path_ + ".1";
    if (::rename(path_.c_str(), first.c_str()) != 0 && errno != ENOENT && result) {
      result = core::make_error("bundle log " + path_ + ": cannot rename to " + first + ": " +
                                errno_text(errno));
    }
  }
  ++rotations_;
  if (auto r = open_live(); !r && result) result = std::move(r);
  return result;
}

core::Result<void> BundleLog::append(std::string_view lines) {
  if (lines.empty()) return {};
  if (fd_ < 0) {
    // A rotation could not reopen the live file: try again.
    if (auto r = open_live(); !r) return r;
  }
  if (max_bytes_ == 0 || size_ + lines.size() <= max_bytes_) return write_all(lines);

  core::Result<void> result;
  bool can_rotate = true;   // at most one failed rotation per call
  std::size_t segment = 0;  // start of the lines not written yet
  std::size_t pos = 0;
  while (pos < lines.size()) {
    std::size_t end = lines.find('\n', pos);
    end = end == std::string_view::npos ? lines.size() : end + 1;
    std::uint64_t pending = pos - segment;
    if (can_rotate && size_ + pending > 0 && size_ + pending + (end - pos) > max_bytes_) {
      if (pending > 0) {
        if (auto r = write_all(lines.substr(segment, pos - segment)); !r) return r;
        segment = pos;
      }
      if (auto r = rotate(); !r) {
        can_rotate = false;
        if (result) result = std::move(r);
        if (fd_ < 0) return result;
      }
    }
    pos = end;
  }
  if (auto r = write_all(lines.substr(segment)); !r) return r;
  return result;
}

}  // namespace squall::store
