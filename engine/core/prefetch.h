#pragma once
// prefetch_line: start loading the cache line holding `p`, for lookups of large tables made a few
// items ahead of use (the fingerprint table, member records).

namespace squall::core {

// GCC 12 dropped __builtin_prefetch once inlined into the correlator (seen in its assembly); the
// instruction itself cannot be dropped.
inline void prefetch_line(const void* p) {
#if defined(__x86_64__)
  asm volatile("prefetcht0 (%0)" : : "r"(p));
#else
  __builtin_prefetch(p);
#endif
}

}  // namespace squall::core
