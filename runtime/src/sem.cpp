// SPDX-License-Identifier: MIT
// The semaphore's state machine. [spec.prim.sem]
#include <braid/op/sem.hpp>

#include <new>
#include <stdexcept>
#include <string>

namespace braid {

namespace detail {

/// A pending acquire of either flavour: completes with unit (acquire) or
/// with a permit (acquire_permit).
class sem_state::sem_waiter final : public waiter_base {
 public:
  sem_waiter(void* ctx, const sink_ops_base* ops, bool with_permit, std::mutex& m,
             std::shared_ptr<const void> port) noexcept
      : waiter_base(ctx, ops, m, std::move(port), "braid::sem acquire cancelled"), with_permit_(with_permit) {}

  /// Completes with the permit it was granted (owner only, unlocked).
  void succeed(sem_state& s) noexcept {
    s.grant(ctx_, ops_, with_permit_);
    release();
  }

 private:
  bool with_permit_;
};

void sem_state::grant(void* ctx, const sink_ops_base* ops, bool with_permit) noexcept {
  if (with_permit) {
    // The permit's destructor releases: if the receiver drops it, the permit
    // goes straight back (to the next acquire, possibly on this stack).
    permit p(shared_from_this());
    static_cast<const sink_ops<permit>*>(ops)->on_value(ctx, std::move(p));
  } else {
    static_cast<const sink_ops<void>*>(ops)->on_value(ctx, unit{});
  }
}

canceller sem_state::acquire(void* ctx, const sink_ops_base* ops, bool with_permit) noexcept {
  bool available;
  {
    std::lock_guard<std::mutex> lk(mutex_);
    available = permits_ > 0;
    if (available) {
      --permits_;
    } else if (auto* w = enqueue_waiter<sem_waiter>(waiters_, ctx, ops, with_permit, mutex_, shared_from_this())) {
      return canceller(static_cast<process*>(w));
    }
  }
  if (available)
    grant(ctx, ops, with_permit);  // synchronous: a permit was free
  else
    ops->on_error(ctx, std::make_exception_ptr(std::bad_alloc()));  // the waiter could not be allocated
  return {};
}

void sem_state::release() noexcept {
  sem_waiter* w;
  {
    std::lock_guard<std::mutex> lk(mutex_);
    w = static_cast<sem_waiter*>(waiters_.pop_front());
    // Missionary: release is not checked against acquire; extra releases
    // add permits.
    if (!w) {
      ++permits_;
      return;
    }
  }
  w->succeed(*this);  // the permit passes directly to the oldest acquire
}

}  // namespace detail

void permit::reset() noexcept {
  if (auto s = std::move(state_)) s->release();
}

sem::sem(std::int64_t permits) {
  if (permits < 0)
    throw std::invalid_argument("braid::sem: the number of permits must not be negative (got " +
                                std::to_string(permits) + ")");
  state_ = std::make_shared<detail::sem_state>(permits);
}

task<void> sem::acquire() const {
  const auto& s = state();
  // The recipes live inside the state: no allocation per acquire().
  return task<void>(std::shared_ptr<const detail::task_impl<void>>(s, &s->acquire_recipe()));
}

task<permit> sem::acquire_permit() const {
  const auto& s = state();
  return task<permit>(std::shared_ptr<const detail::task_impl<permit>>(s, &s->permit_recipe()));
}

void sem::release() const { state()->release(); }

}  // namespace braid
