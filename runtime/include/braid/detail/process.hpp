// SPDX-License-Identifier: MIT
#pragma once

#include <braid/detail/frame_cache.hpp>

#include <atomic>
#include <cstdint>
#include <type_traits>
#include <utility>

namespace braid {
/// The value type of a `task<void>` inside the runtime: every process speaks
/// in values, and `void` is spelled `unit` there.
struct unit {
  friend constexpr bool operator==(unit, unit) noexcept { return true; }
};
}  // namespace braid

namespace braid::detail {

template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, unit, T>;

/// A running process: something that can be cancelled, kept alive by an
/// intrusive reference count. Every operator's state object derives from it,
/// so that the canceller handed out by a run costs no allocation of its own.
///
/// Reference rules: a new process starts with the count given to the
/// constructor; by convention one reference belongs to "the run" (released
/// when the process has completed and no longer touches itself) and one to
/// each canceller handed out. Its memory comes from the thread's frame cache
/// (detail/frame_cache.hpp).
class process : public frame_cache_allocated {
 public:
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  /// Request cancellation. Idempotent, thread-safe, callable at any time,
  /// also after completion. Must not throw.
  virtual void cancel() noexcept = 0;

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept {
    // acq_rel: the last releaser must see every write made by the others
    // before it destroys the object.
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy();
  }

 protected:
  /// release() for a caller that knows no other thread can reach this
  /// process now (it handed out no reference since the last one came back):
  /// the count cannot change under it, so a sole reference is dropped
  /// without an atomic read-modify-write.
  void release_unshared() noexcept {
    if (refs_unshared_sole())
      destroy();
    else
      release();
  }
  /// For the same caller: true when its reference is the only one.
  bool refs_unshared_sole() const noexcept { return refs_.load(std::memory_order_relaxed) == 1; }

 protected:
  explicit process(std::uint32_t refs = 1) noexcept : refs_(refs) {}
  virtual ~process() = default;
  /// Frees the object; processes living in custom storage override it.
  virtual void destroy() noexcept { delete this; }

 private:
  std::atomic<std::uint32_t> refs_;
};

/// Owning pointer to one reference of a process.
class process_ref {
 public:
  process_ref() noexcept = default;
  /// Adopts one reference already counted for the caller.
  explicit process_ref(process* p) noexcept : p_(p) {}
  process_ref(const process_ref& o) noexcept : p_(o.p_) {
    if (p_) p_->retain();
  }
  process_ref(process_ref&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  process_ref& operator=(process_ref o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~process_ref() {
    if (p_) p_->release();
  }
  process* get() const noexcept { return p_; }
  process* release() noexcept { return std::exchange(p_, nullptr); }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  process* p_ = nullptr;
};

}  // namespace braid::detail
