#include "tests/integration/subprocess.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace squall::integration {
namespace {

std::string errno_text(std::string_view what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  [[nodiscard]] int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

}  // namespace

// ---- TempDir ----

core::Result<TempDir> TempDir::create(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::filesystem::path base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  std::string templ = (base / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) return core::make_error(errno_text("mkdtemp", errno));
  return TempDir(std::filesystem::path(templ));
}

TempDir::TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

TempDir::~TempDir() { remove(); }

void TempDir::remove() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);  // best effort: a destructor cannot fail
  path_.clear();
}

core::Result<void> write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return core::make_error("cannot open " + path.string() + " for writing");
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) return core::make_error("cannot write " + path.string());
  return {};
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

core::Result<std::uint16_t> free_loopback_port() {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return core::make_error(errno_text("socket", errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return core::make_error(errno_text("bind 127.0.0.1:0", errno));
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return core::make_error(errno_text("getsockname", errno));
  return ntohs(addr.sin_port);
}

std::optional<std::filesystem::path> find_executable(std::string_view name) {
  if (name.empty()) return std::nullopt;
  auto is_exec = [](const std::filesystem::path& p) {
    std::error_code ec;
    return std::filesystem::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string_view::npos) {
    std::filesystem::path p(name);
    return is_exec(p) ? std::optional(p) : std::nullopt;
  }
  const char* env_path = std::getenv("PATH");
  std::string_view dirs = env_path != nullptr ? env_path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    const std::size_t colon = dirs.find(':');
    const std::string_view dir = dirs.substr(0, colon);
    if (!dir.empty()) {
      std::filesystem::path p = std::filesystem::path(dir) / name;
      if (is_exec(p)) return p;
    }
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return std::nullopt;
}

// ---- ExitStatus ----

std::string ExitStatus::describe() const {
  if (exited) return "exit code " + std::to_string(code);
  const char* name = ::strsignal(signal);
  return "signal " + std::to_string(signal) + " (" + (name != nullptr ? name : "?") + ")";
}

// ---- Subprocess ----

core::Result<Subprocess> Subprocess::start(const std::vector<std::string>& argv,
                                           const std::filesystem::path& log_path) {
  if (argv.empty()) return core::make_error("Subprocess::start: empty argv");
  // Everything the child needs is prepared before fork: between fork and exec only
  // async-signal-safe calls are allowed (the test process may have threads).
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  Fd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (log.get() < 0) return core::make_error(errno_text("open " + log_path.string(), errno));
  Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_in.get() < 0) return core::make_error(errno_text("open /dev/null", errno));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return core::make_error(errno_text("pipe2", errno));
  Fd exec_err_read(pipe_fds[0]);
  Fd exec_err_write(pipe_fds[1]);
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) return core::make_error(errno_text("fork", errno));
  if (pid == 0) {
    // Child. dup2 clears close-on-exec on the new descriptors 0, 1 and 2.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    if (::dup2(null_in.get(), STDIN_FILENO) < 0 || ::dup2(log.get(), STDOUT_FILENO) < 0 ||
        ::dup2(log.get(), STDERR_FILENO) < 0) {
      const int err = errno;
      [[maybe_unused]] ssize_t n = ::write(exec_err_write.get(), &err, sizeof err);
      ::_exit(127);
    }
    ::execv(args[0], args.data());
    const int err = errno;
    [[maybe_unused]] ssize_t n = ::write(exec_err_write.get(), &err, sizeof err);
    ::_exit(127);
  }

  // Parent: exec succeeded iff the pipe closes without data.
  exec_err_write.reset();
  Subprocess child(pid);
  int err = 0;
  ssize_t n;
  do {
    n = ::read(exec_err_read.get(), &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    child.wait_for_exit(std::chrono::seconds(5));
    return core::make_error(errno_text("exec " + argv[0], err));
  }
  return child;
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(std::exchange(other.status_, std::nullopt)) {}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) stop();
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
  }
  return *this;
}

Subprocess::~Subprocess() {
  if (pid_ > 0) stop();
}

void Subprocess::reap(int wstatus) {
  ExitStatus s;
  if (WIFEXITED(wstatus)) {
    s.exited = true;
    s.code = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    s.signal = WTERMSIG(wstatus);
  }
  status_ = s;
}

bool Subprocess::is_running() {
  if (pid_ <= 0 || status_) return false;
  int wstatus = 0;
  const pid_t r = ::waitpid(pid_, &wstatus, WNOHANG);
  if (r == pid_) {
    reap(wstatus);
    return false;
  }
  if (r < 0 && errno == ECHILD) {  // reaped elsewhere: nothing left to wait for
    status_ = ExitStatus{};
    return false;
  }
  return true;
}

bool Subprocess::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (is_running()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

ExitStatus Subprocess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return status_.value_or(ExitStatus{});
  if (is_running()) {
    ::kill(pid_, SIGTERM);
    if (!wait_for_exit(grace)) {
      ::kill(pid_, SIGKILL);
      int wstatus = 0;
      pid_t r;
      do {
        r = ::waitpid(pid_, &wstatus, 0);
      } while (r < 0 && errno == EINTR);
      if (r == pid_)
        reap(wstatus);
      else
        status_ = ExitStatus{};
    }
  }
  return status_.value_or(ExitStatus{});
}

}  // namespace squall::integration
