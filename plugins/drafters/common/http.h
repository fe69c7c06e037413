#pragma once
// One HTTP(S) POST through libcurl, with connect and total timeouts and a bounded response. No
// redirects, no retries (the caller owns them). Thread-safe: each call has its own easy handle.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/result.h"

namespace squall::drafters {

struct HttpPost {
  std::string url;
  std::vector<std::string> headers;  // "Name: value"; Content-Type JSON is added
  std::string body;
  std::int64_t connect_timeout_ms = 5'000;
  std::int64_t timeout_ms = 60'000;
  std::size_t max_response_bytes = 4 * 1024 * 1024;
};

struct HttpReply {
  int status = 0;
  std::string body;
  std::int64_t retry_after_ms = -1;  // from a Retry-After in seconds; -1 when absent
};

// A transport failure (no HTTP status): the message says what, "timeout ..." for a timeout.
[[nodiscard]] core::Result<HttpReply> http_post(const HttpPost& request);

// curl_global_init, once per process (called by the LLM drafters' constructors; call it before
// starting threads if the process uses libcurl elsewhere too).
void init_http();

}  // namespace squall::drafters
