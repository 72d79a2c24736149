// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

// The per-thread cache of process blocks: the memory of an sp recipe with
// its frame (sp.hpp), the one allocation of a call parked on at once, and of
// every detail::process and ap branch (ap.hpp: a clone per fork value). A
// coroutine library pays malloc and free for each frame too; Boost.Asio keeps
// a small per-thread cache of them, and so do we: a freed block goes to a
// free list of its size class on the freeing thread, and the next block of
// that class allocated there comes from it, without malloc's bookkeeping.
//
// Bounded: at most `frame_cache_depth` blocks per class (8-byte classes up
// to `frame_cache_max_bytes`), freed when the thread exits. Classes of 8
// bytes, not wider: a block that misses the cache is allocated with its
// class's size, and every object of default alignment is a multiple of 8
// bytes, so the rounding never asks the heap for more than the object. Off under the
// sanitizers (ASan must see every free to find a use of a freed frame) and
// with -DBRAID_NO_FRAME_CACHE, and per thread with frame_cache_disable()
// (code that counts the heap, as the allocation tests and the memory
// benchmarks do).

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BRAID_FRAME_CACHE_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define BRAID_FRAME_CACHE_OFF 1
#endif
#endif
#if defined(BRAID_NO_FRAME_CACHE)
#define BRAID_FRAME_CACHE_OFF 1
#endif

namespace braid::detail {

inline constexpr std::size_t frame_cache_max_bytes = 1024;
inline constexpr std::size_t frame_cache_classes = frame_cache_max_bytes / 8;
inline constexpr std::uint8_t frame_cache_depth = 16;

// Trivially destructible, so that the hot path reads it without a TLS
// wrapper; the thread's exit is handled by frame_cache_reaper.
struct frame_cache_state {
  struct block {
    block* next;
  };
  block* head[frame_cache_classes];
  std::uint8_t count[frame_cache_classes];
  bool disabled;     // this thread frees to the heap (frame_cache_disable, or exiting)
  bool has_reaper;   // the thread's reaper is registered
};

inline constinit thread_local frame_cache_state frame_cache_tls{};

/// The size class of a block of n bytes (0 < n <= frame_cache_max_bytes),
/// and the bytes every block of class i has.
constexpr std::size_t frame_cache_class_of(std::size_t n) noexcept { return (n - 1) / 8; }
constexpr std::size_t frame_cache_class_bytes(std::size_t i) noexcept { return (i + 1) * 8; }

/// Frees every block this thread's cache holds.
inline void frame_cache_trim() noexcept {
  frame_cache_state& c = frame_cache_tls;
  for (std::size_t i = 0; i < frame_cache_classes; ++i) {
    while (frame_cache_state::block* b = c.head[i]) {
      c.head[i] = b->next;
      ::operator delete(static_cast<void*>(b), frame_cache_class_bytes(i));
    }
    c.count[i] = 0;
  }
}

/// From now on this thread frees process blocks to the heap and allocates
/// them from it; what its cache held is freed. For code that measures the
/// heap: every process's block is then one operator new and one delete.
inline void frame_cache_disable() noexcept {
  frame_cache_tls.disabled = true;
  frame_cache_trim();
}

/// Undoes frame_cache_disable on this thread.
inline void frame_cache_enable() noexcept { frame_cache_tls.disabled = false; }

struct frame_cache_reaper {
  ~frame_cache_reaper() { frame_cache_disable(); }  // later frees go to the heap
};

// Out of line: once per thread, on its first cached free.
[[gnu::noinline]] inline void frame_cache_register_reaper() noexcept {
  static thread_local frame_cache_reaper reaper;
  (void)reaper;
  frame_cache_tls.has_reaper = true;
}

/// A block of n bytes (default alignment); Nothrow: null when the heap has
/// none, else std::bad_alloc.
template <bool Nothrow = false>
[[gnu::always_inline]] inline void* frame_cache_allocate(std::size_t n) noexcept(Nothrow) {
#if !defined(BRAID_FRAME_CACHE_OFF)
  if (n != 0 && n <= frame_cache_max_bytes) {
    const std::size_t i = frame_cache_class_of(n);
    frame_cache_state& c = frame_cache_tls;
    if (frame_cache_state::block* b = c.head[i]) {
      c.head[i] = b->next;
      --c.count[i];
      return b;
    }
    n = frame_cache_class_bytes(i);  // any block of the class fits
  }
#endif
  if constexpr (Nothrow)
    return ::operator new(n, std::nothrow);
  else
    return ::operator new(n);
}

/// Gives back a block of n bytes from frame_cache_allocate.
[[gnu::always_inline]] inline void frame_cache_free(void* p, std::size_t n) noexcept {
#if !defined(BRAID_FRAME_CACHE_OFF)
  if (n != 0 && n <= frame_cache_max_bytes) {
    const std::size_t i = frame_cache_class_of(n);
    frame_cache_state& c = frame_cache_tls;
    if (c.count[i] < frame_cache_depth && !c.disabled) {
      if (!c.has_reaper) frame_cache_register_reaper();
      auto* b = static_cast<frame_cache_state::block*>(p);
      b->next = c.head[i];
      c.head[i] = b;
      ++c.count[i];
      return;
    }
    return ::operator delete(p, frame_cache_class_bytes(i));
  }
#endif
  ::operator delete(p, n);
}

/// Class-specific allocation through the cache (a base of sp_recipe,
/// detail::process and ap_core). Over-aligned types go to the aligned heap
/// functions.
/// The nothrow and placement forms too, since declaring any operator new in
/// a class hides the global ones from `new T` of it and its derived classes.
struct frame_cache_allocated {
  [[gnu::always_inline]] static void* operator new(std::size_t n) { return frame_cache_allocate(n); }
  static void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    return frame_cache_allocate<true>(n);
  }
  [[gnu::always_inline]] static void operator delete(void* p, std::size_t n) noexcept { frame_cache_free(p, n); }
  static void* operator new(std::size_t n, std::align_val_t a) { return ::operator new(n, a); }
  static void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return ::operator new(n, a, std::nothrow);
  }
  static void operator delete(void* p, std::size_t n, std::align_val_t a) noexcept {
    ::operator delete(p, n, a);
  }
  // What a nothrow new-expression frees with when the constructor throws:
  // to the heap, which gave every block, cached or not.
  static void operator delete(void* p, const std::nothrow_t&) noexcept { ::operator delete(p); }
  static void operator delete(void* p, std::align_val_t a, const std::nothrow_t&) noexcept {
    ::operator delete(p, a);
  }
  static void* operator new(std::size_t, void* where) noexcept { return where; }
  static void operator delete(void*, void*) noexcept {}
};

}  // namespace braid::detail
