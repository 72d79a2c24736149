// SPDX-License-Identifier: MIT
#pragma once

#include <braid/flow.hpp>
#include <braid/op/signal.hpp>  // detail::prop::keep_latest

#include <concepts>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace braid {

namespace detail {

// [spec.flow.store] Where deltas accumulate: in the store while no reader
// is attached, in the reader while one is.
template <class T>
struct store_cell {
  enum kind_t : std::uint8_t {
    empty,   // reader only: everything was transferred
    value,   // deltas merged, not yet transferred (the store: the whole history)
    frozen,  // the same, and no delta will follow
    failed,  // the semigroup threw: `e`
    over,    // reader only: cancelled or terminated
  };
  kind_t kind = value;
  std::optional<T> v;
  std::exception_ptr e;
};

template <class T, class SG>
class store_state;

// One store reader. Its cell and history are guarded by the store's mutex.
// The semigroup is user code: it runs outside the mutex, and the result is
// installed only if nothing changed meanwhile (the state's version), else
// the step is retried, as Missionary's compare-and-set loops do.
template <class T, class SG>
class store_reader final : public flow_process<T> {
 public:
  store_reader(std::shared_ptr<store_state<T, SG>> s, flow_listener l, store_cell<T> c)
      : flow_process<T>(2), s_(std::move(s)), l_(l), cell_(std::move(c)) {}

  void cancel() noexcept override {
    for (;;) {
      std::unique_lock<std::mutex> g(s_->m_);
      if (cell_.kind == store_cell<T>::over) return;
      if (cell_.kind == store_cell<T>::empty) {
        // Idle: the store gets the history back; the notification makes the
        // consumer's next transfer end the reader.
        s_->cell_ = store_cell<T>{store_cell<T>::value, std::move(last_), nullptr};
        detach_locked();
        g.unlock();
        l_.notify();
        return;
      }
      store_cell<T> pending = cell_;
      std::uint64_t ver = s_->version_;
      g.unlock();
      store_cell<T> back = merged_history(pending);
      g.lock();
      if (s_->version_ != ver) continue;
      s_->cell_ = std::move(back);
      detach_locked();
      return;  // a transfer is pending: it will see `over`
    }
  }

  T transfer() override {
    for (;;) {
      std::unique_lock<std::mutex> g(s_->m_);
      store_cell<T> c = cell_;
      if (c.kind == store_cell<T>::over) {
        g.unlock();
        finish();
        throw braid::cancelled("braid: store reader cancelled");
      }
      if (c.kind == store_cell<T>::empty) {
        throw std::logic_error("braid: store reader transferred without a notification");
      }
      std::uint64_t ver = s_->version_;
      g.unlock();
      store_cell<T> hist = merged_history(c);
      g.lock();
      if (s_->version_ != ver) continue;
      if (hist.kind == store_cell<T>::failed) {
        // The semigroup failed (now or when a delta was appended): the
        // store freezes with that error and the reader ends with it.
        s_->cell_ = hist;
        detach_locked();
        g.unlock();
        finish();
        std::rethrow_exception(hist.e);
      }
      if (c.kind == store_cell<T>::frozen) {
        s_->cell_ = std::move(hist);  // frozen with the whole history
        detach_locked();
        g.unlock();
        finish();
        return std::move(*c.v);
      }
      cell_.kind = store_cell<T>::empty;
      cell_.v.reset();
      last_ = std::move(hist.v);
      ++s_->version_;
      return std::move(*c.v);
    }
  }


 private:
  friend class store_state<T, SG>;

  // last_ merged with the pending cell, as the cell the store should hold
  // after this reader (frozen stays frozen; a failure stays a failure).
  store_cell<T> merged_history(const store_cell<T>& c) noexcept {
    if (c.kind == store_cell<T>::failed) return c;
    try {
      std::optional<T> r;
      if (last_)
        r.emplace(s_->sg_(std::as_const(*last_), T(*c.v)));
      else
        r.emplace(*c.v);
      return store_cell<T>{c.kind, std::move(r), nullptr};
    } catch (...) {
      return store_cell<T>{store_cell<T>::failed, std::nullopt, std::current_exception()};
    }
  }

  void detach_locked() noexcept {
    cell_ = store_cell<T>{store_cell<T>::over, std::nullopt, nullptr};
    last_.reset();
    s_->reader_ = nullptr;
    ++s_->version_;
  }

  void finish() noexcept {
    flow_listener l = l_;
    this->release();  // the run's reference, before the terminator
    l.terminate();
  }

  std::shared_ptr<store_state<T, SG>> s_;
  flow_listener l_;
  store_cell<T> cell_;     // guarded by the store's mutex
  std::optional<T> last_;  // guarded by the store's mutex: the merge of everything transferred
};

template <class T, class SG>
class store_state : public std::enable_shared_from_this<store_state<T, SG>> {
 public:
  store_state(SG sg, T init) : sg_(std::move(sg)) { cell_.v.emplace(std::move(init)); }

  void append(T x) {
    for (;;) {
      std::unique_lock<std::mutex> g(m_);
      store_cell<T>& c = reader_ ? reader_->cell_ : cell_;
      switch (c.kind) {
        case store_cell<T>::frozen:
        case store_cell<T>::failed:
        case store_cell<T>::over:
          return;  // a frozen store ignores deltas
        case store_cell<T>::empty: {
          // An idle reader: hand it the delta and wake it.
          c.kind = store_cell<T>::value;
          c.v.emplace(std::move(x));
          ++version_;
          store_reader<T, SG>* r = reader_;
          r->retain();
          g.unlock();
          r->l_.notify();
          r->release();
          return;
        }
        case store_cell<T>::value:
          break;
      }
      T cur = *c.v;
      std::uint64_t ver = version_;
      g.unlock();
      store_cell<T> next;
      try {
        next.v.emplace(sg_(std::as_const(cur), T(x)));
      } catch (...) {
        next = store_cell<T>{store_cell<T>::failed, std::nullopt, std::current_exception()};
      }
      g.lock();
      if (version_ != ver) continue;
      (reader_ ? reader_->cell_ : cell_) = std::move(next);
      ++version_;
      return;
    }
  }

  void freeze() {
    std::unique_lock<std::mutex> g(m_);
    if (!reader_) {
      if (cell_.kind == store_cell<T>::value) {
        cell_.kind = store_cell<T>::frozen;
        ++version_;
      }
      return;
    }
    store_reader<T, SG>* r = reader_;
    if (r->cell_.kind == store_cell<T>::value) {
      r->cell_.kind = store_cell<T>::frozen;  // its pending transfer ends it
      ++version_;
      return;
    }
    if (r->cell_.kind != store_cell<T>::empty) return;
    // An idle reader ends at once; the store keeps the history, frozen.
    cell_ = store_cell<T>{store_cell<T>::frozen, std::move(r->last_), nullptr};
    r->detach_locked();
    g.unlock();
    r->finish();
  }

  flow_process<T>* spawn(flow_listener l) noexcept {
    std::unique_lock<std::mutex> g(m_);
    if (reader_) {
      g.unlock();
      return failing_flow<T>(std::make_exception_ptr(std::logic_error(
                                 "braid: store: concurrent store reader (a store has one reader at a time; "
                                 "cancel the current reader before spawning another)")))
          ->spawn(l);
    }
    if (cell_.kind == store_cell<T>::frozen || cell_.kind == store_cell<T>::failed) {
      // Frozen: one transfer of the whole history (or its error), then the end.
      store_cell<T> c = cell_;
      g.unlock();
      if (c.kind == store_cell<T>::failed) return failing_flow<T>(c.e)->spawn(l);
      return single_value_flow<T>(std::move(*c.v))->spawn(l);
    }
    store_reader<T, SG>* r;
    try {
      r = new store_reader<T, SG>(this->shared_from_this(), l, std::move(cell_));
    } catch (...) {
      g.unlock();
      return failing_flow<T>(std::current_exception())->spawn(l);
    }
    cell_ = store_cell<T>{};
    reader_ = r;
    ++version_;
    g.unlock();
    l.notify();  // ready at spawn with the merged history
    return r;
  }

 private:
  friend class store_reader<T, SG>;

  SG sg_;
  std::mutex m_;
  store_cell<T> cell_;                    // guarded by m_ (meaningful while no reader)
  store_reader<T, SG>* reader_ = nullptr;  // guarded by m_
  std::uint64_t version_ = 0;             // guarded by m_: bumped on every change
};

template <class T, class SG>
class store_flow final : public flow_impl<T> {
 public:
  explicit store_flow(std::shared_ptr<store_state<T, SG>> s) : s_(std::move(s)) {}
  flow_process<T>* spawn(flow_listener l) const noexcept override { return s_->spawn(l); }

 private:
  std::shared_ptr<store_state<T, SG>> s_;
};

}  // namespace detail

/// An append-only log of deltas, read as a flow of merged deltas.
///
/// **Semantics** (Missionary's `store`): a store starts with the delta
/// `init`. `append(d)` adds a delta; `freeze()` ends the log (later deltas
/// are ignored). `read()` is a flow: a reader is notified at spawn and its
/// first transfer returns the merge (with the semigroup `sg`, an
/// associative `T sg(const T&, T)`; by default "keep the latest") of every
/// delta so far; each later transfer returns the merge of the deltas
/// appended since the previous one. A reader terminates after the transfer
/// that follows the freeze (or at once if it is idle when the store
/// freezes). One reader at a time: a second concurrent reader fails with
/// std::logic_error "...concurrent store reader...". After a reader leaves,
/// the next one starts again from the merge of all deltas; a reader of a
/// frozen store gets that merge once, then terminates.
///
/// **Cancellation**: cancelling a reader notifies it if it is idle; its
/// next transfer terminates and throws braid::cancelled. The store keeps
/// every delta.
///
/// **Failure**: an exception from `sg` freezes the store with that error:
/// the reader's next transfer (and any later reader's) throws it.
///
/// **Thread-safety**: append, freeze and reading may happen on any threads;
/// `sg` runs outside the store's lock and may be called again if the store
/// changed meanwhile, so it must be free of side effects.
///
/// ```
/// braid::store<std::vector<int>, concat_fn> log(concat_fn{}, {});
/// log.append({1, 2});
/// auto it = log.read().spawn(notify, done);  // transfer: {1, 2}
/// ```
template <class T, class SG = detail::prop::keep_latest>
class store {
 public:
  explicit store(T init)
    requires std::default_initializable<SG>
      : s_(std::make_shared<detail::store_state<T, SG>>(SG{}, std::move(init))) {}
  store(SG sg, T init) : s_(std::make_shared<detail::store_state<T, SG>>(std::move(sg), std::move(init))) {}

  /// Appends a delta (ignored once frozen). Thread-safe.
  void append(T delta) const { s_->append(std::move(delta)); }
  /// Freezes the store. Idempotent, thread-safe.
  void freeze() const { s_->freeze(); }
  /// The reader flow (one running reader at a time).
  flow<T> read() const { return flow<T>(std::make_shared<const detail::store_flow<T, SG>>(s_)); }
  operator flow<T>() const { return read(); }

 private:
  std::shared_ptr<detail::store_state<T, SG>> s_;
};

template <class T>
store(T) -> store<T>;

}  // namespace braid
