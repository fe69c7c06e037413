#pragma once
// The one way squall includes Boost.Asio: Boost 1.74's Asio under g++ 12 in C++20 mode needs
// <utility> first (std::exchange). Heavy header: include it only in the few .cc files that need it.
#include <utility>

#include <boost/asio.hpp>
