#pragma once
// Errors are values: Result<T> on every path that can fail on data or environment.
#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace squall::core {

struct Error {
  std::string message;
};

template <class T, class E = Error>
using Result = tl::expected<T, E>;

inline tl::unexpected<Error> make_error(std::string message) {
  return tl::unexpected<Error>(Error{std::move(message)});
}

}  // namespace squall::core
