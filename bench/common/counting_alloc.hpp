// SPDX-License-Identifier: MIT
// A counting global allocator: replaces operator new/delete to keep the
// live and peak number of heap bytes (as malloc_usable_size reports them,
// so the allocator's rounding counts, its per-chunk header does not).
// Include it in exactly one translation unit of an executable. The cost,
// two relaxed atomic adds per allocation, is paid by every variant alike.
// Under ThreadSanitizer, whose runtime defines operator new/delete itself,
// nothing is replaced and `enabled` is false: the counters stay at zero and
// the workloads skip their heap figures and heap checks.
#pragma once

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BENCH_NO_COUNTING_ALLOC 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define BENCH_NO_COUNTING_ALLOC 1
#endif

#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace bench::alloc {

#if defined(BENCH_NO_COUNTING_ALLOC)
inline constexpr bool enabled = false;
#else
inline constexpr bool enabled = true;
#endif

inline std::atomic<std::int64_t> live_bytes{0};
inline std::atomic<std::int64_t> peak_bytes{0};
inline std::atomic<std::int64_t> allocations{0};

inline void on_alloc(void* p) noexcept {
  const auto n = static_cast<std::int64_t>(malloc_usable_size(p));
  allocations.fetch_add(1, std::memory_order_relaxed);
  const std::int64_t now = live_bytes.fetch_add(n, std::memory_order_relaxed) + n;
  std::int64_t peak = peak_bytes.load(std::memory_order_relaxed);
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}
inline void on_free(void* p) noexcept {
  if (p) live_bytes.fetch_sub(static_cast<std::int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
}

/// Live bytes now, and restarts the peak from here.
inline std::int64_t reset_peak() noexcept {
  const std::int64_t now = live_bytes.load(std::memory_order_relaxed);
  peak_bytes.store(now, std::memory_order_relaxed);
  return now;
}

inline void* allocate(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  on_alloc(p);
  return p;
}
inline void* allocate(std::size_t n, std::align_val_t a) {
  std::size_t al = static_cast<std::size_t>(a);
  void* p = std::aligned_alloc(al, (n + al - 1) / al * al);
  if (!p) throw std::bad_alloc();
  on_alloc(p);
  return p;
}
inline void deallocate(void* p) noexcept {
  on_free(p);
  std::free(p);
}

}  // namespace bench::alloc

#if !defined(BENCH_NO_COUNTING_ALLOC)
void* operator new(std::size_t n) { return bench::alloc::allocate(n); }
void* operator new[](std::size_t n) { return bench::alloc::allocate(n); }
void* operator new(std::size_t n, std::align_val_t a) { return bench::alloc::allocate(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return bench::alloc::allocate(n, a); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return bench::alloc::allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return bench::alloc::allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { bench::alloc::deallocate(p); }
void operator delete[](void* p) noexcept { bench::alloc::deallocate(p); }
void operator delete(void* p, std::size_t) noexcept { bench::alloc::deallocate(p); }
void operator delete[](void* p, std::size_t) noexcept { bench::alloc::deallocate(p); }
void operator delete(void* p, std::align_val_t) noexcept { bench::alloc::deallocate(p); }
void operator delete[](void* p, std::align_val_t) noexcept { bench::alloc::deallocate(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { bench::alloc::deallocate(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { bench::alloc::deallocate(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { bench::alloc::deallocate(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { bench::alloc::deallocate(p); }
#endif
