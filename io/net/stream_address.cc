#include "io/net/stream_address.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

namespace squall::net {

core::Result<StreamAddress> parse_stream_address(std::string_view text, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return core::make_error(std::string(what) + ": '" + std::string(text) +
                            "': " + std::string(why) + " (expected unix:PATH or tcp://IP:PORT)");
  };
  StreamAddress a;
  if (text.starts_with("unix:")) {
    a.is_unix = true;
    a.path = std::string(text.substr(5));
    sockaddr_un un{};
    if (a.path.empty() || a.path.size() >= sizeof un.sun_path)
      return bad("socket path empty or too long");
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, a.path.c_str(), a.path.size() + 1);
    std::memcpy(&a.sa, &un, sizeof un);
    a.len = sizeof un;
    return a;
  }
  if (text.starts_with("tcp://")) {
    const std::string hp(text.substr(6));
    const auto colon = hp.rfind(':');
    sockaddr_in in{};
    in.sin_family = AF_INET;
    if (colon == std::string::npos ||
        ::inet_pton(AF_INET, hp.substr(0, colon).c_str(), &in.sin_addr) != 1)
      return bad("not an IPv4 address and port");
    char* end = nullptr;
    const unsigned long port = std::strtoul(hp.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || end == hp.c_str() + colon + 1 || port > 65535) return bad("bad port");
    in.sin_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&a.sa, &in, sizeof in);
    a.len = sizeof in;
    return a;
  }
  return bad("unknown scheme");
}

core::Result<int> listen_stream(const StreamAddress& a, std::string& bound) {
  const int fd =
      ::socket(a.is_unix ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return core::make_error(std::string("socket: ") + std::strerror(errno));
  if (a.is_unix) {
    ::unlink(a.path.c_str());
  } else {
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&a.sa), a.len) != 0 || ::listen(fd, 64) != 0) {
    const std::string e = std::strerror(errno);
    ::close(fd);
    return core::make_error((a.is_unix ? a.path : std::string("tcp")) + ": " + e);
  }
  if (a.is_unix) {
    bound = "unix:" + a.path;
  } else {
    sockaddr_in in{};
    socklen_t len = sizeof in;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&in), &len);
    char host[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &in.sin_addr, host, sizeof host);
    bound = "tcp://" + std::string(host) + ":" + std::to_string(ntohs(in.sin_port));
  }
  return fd;
}

core::Result<int> connect_stream(const StreamAddress& a) {
  const int fd = ::socket(a.is_unix ? AF_UNIX : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return core::make_error(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a.sa), a.len) != 0) {
    const std::string e = std::strerror(errno);
    ::close(fd);
    return core::make_error(e);
  }
  return fd;
}

}  // namespace squall::net
