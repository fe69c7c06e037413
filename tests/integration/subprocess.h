#pragma once
// Process and file-system helpers for integration tests that run real servers (alertmanager,
// prometheus, nats-server) as child processes on 127.0.0.1.
//
// Thread contract: a TempDir or Subprocess is owned by one thread. Everything here is POSIX/Linux.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

#include "engine/core/result.h"

namespace squall::integration {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  // `prefix` starts the directory's name, e.g. "squall-am-" -> /tmp/squall-am-Xa81Qz.
  static core::Result<TempDir> create(std::string_view prefix);

  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  void remove();
  std::filesystem::path path_;
};

// Writes `content` to `path`, replacing it.
[[nodiscard]] core::Result<void> write_file(const std::filesystem::path& path,
                                            std::string_view content);
// The whole file, or "" when it cannot be read.
std::string read_file(const std::filesystem::path& path);

// A TCP port on 127.0.0.1 that was free a moment ago: bound to port 0, read back, released. Another
// process may take it before the caller binds it, so callers that can should retry on "in use".
[[nodiscard]] core::Result<std::uint16_t> free_loopback_port();

// A name with a '/' is checked as a path; a bare name is looked up in $PATH. Must be executable.
std::optional<std::filesystem::path> find_executable(std::string_view name);

// How a child ended.
struct ExitStatus {
  bool exited = false;  // true: returned `code`; false: killed by `signal`
  int code = 0;
  int signal = 0;
  [[nodiscard]] std::string describe() const;  // "exit code 1" | "signal 9 (Killed)"
};

// A child process started with fork + exec, stdout and stderr appended to a log file, stdin from
// /dev/null. The child gets SIGKILL if the test process dies, so a crashed test leaks no server.
// Destruction stops it (see stop()). Signals go to its PID only, never to a name or a group.
class Subprocess {
 public:
  // argv[0] is the executable's path (not searched in $PATH). Fails when the log cannot be opened,
  // fork fails, or exec fails (the child reports exec's errno through a close-on-exec pipe).
  static core::Result<Subprocess> start(const std::vector<std::string>& argv,
                                        const std::filesystem::path& log_path);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess();

  [[nodiscard]] pid_t pid() const { return pid_; }
  // True while the child has not exited; reaps it (without blocking) once it has.
  [[nodiscard]] bool is_running();
  // Set once the child has been reaped.
  [[nodiscard]] const std::optional<ExitStatus>& exit_status() const { return status_; }

  // Waits up to `timeout` for the child to exit by itself; true once it has been reaped.
  bool wait_for_exit(std::chrono::milliseconds timeout);

  // SIGTERM, waits up to `grace` for the child to exit, then SIGKILL and waits for it. Idempotent:
  // after the first call it returns the recorded status.
  ExitStatus stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  explicit Subprocess(pid_t pid) : pid_(pid) {}
  void reap(int wstatus);

  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

}  // namespace squall::integration
