#pragma once
// "unix:PATH" or "tcp://IPV4:PORT": the local stream sockets between `squall serve` and its draft
// workers. Plain POSIX sockets (no Asio), shared by both ends.
#include <string>
#include <string_view>

#include <sys/socket.h>

#include "engine/core/result.h"

namespace squall::net {

struct StreamAddress {
  bool is_unix = false;
  std::string path;  // unix
  sockaddr_storage sa{};
  socklen_t len = 0;
};

// The message names `what` (a flag or config key) and the accepted forms.
core::Result<StreamAddress> parse_stream_address(std::string_view text, std::string_view what);
// A listening socket (non-blocking, close-on-exec; a stale Unix socket file is replaced) and the
// address it got ("tcp://127.0.0.1:40111" for port 0).
core::Result<int> listen_stream(const StreamAddress& address, std::string& bound);
// A connected, blocking, close-on-exec socket.
core::Result<int> connect_stream(const StreamAddress& address);

}  // namespace squall::net
