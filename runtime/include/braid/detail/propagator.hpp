// SPDX-License-Identifier: MIT
#pragma once

// [spec.flow.publishers] The propagator: the shared machinery of the flow
// publishers (signal, stream). A port of the structure of Missionary b.47's
// Propagator (ranks, propagation turns, per-publisher lock, the pressure
// handshake), with C++ ownership made explicit.
//
// Vocabulary:
// - publisher: the shared, immutable-by-build part (its ranks), owning the
//   lock and a pointer to its current process. Built once per signal()/stream().
// - process (pub_process): one run of the upstream flow, shared by every
//   subscription while it lives. Reference-counted: one reference belongs to
//   the upstream run (dropped when the upstream terminated), one to each
//   subscription, one to the propagation heap while it is scheduled.
// - subscription: one spawn of the publisher flow; a flow_process<T> with a
//   sub_node linking it into its process's `ready` (waiting for the next
//   upstream change) or `pending` (notified, not yet transferred) ring.
//
// Glitch-freedom: every publisher gets a rank at build time (a global
// counter, or its builder's ranks plus a child counter when built inside a
// publisher's effect), so build order is a topological order. An upstream
// event schedules the process in this thread's propagation turn; the turn
// ticks ready processes in rank order; a tick invalidates the subscriptions
// (and notifies them); values are computed lazily when a subscription
// transfers. A derived publisher is therefore only ticked after every lower
// ranked publisher it depends on has notified it.
//
// Bare combinators (latest, sample, zip) take part in turns too: built with
// a rank of their own (the same counter, so a combinator ranks after every
// flow it was built from), one whose notification of its consumer falls
// inside a turn on this thread defers it into the turn's heap
// (deferred_notify) instead of notifying at once. It then runs at its rank:
// after every lower ranked publisher and combinator of the turn (so every
// input that changes in this turn has said so), before every higher ranked
// one (so a publisher or combinator reading it is ticked after it). An
// eager consumer of a bare `latest(f, s, s)` thus transfers once, after
// both subscriptions were invalidated.
//
// Locking: a publisher's lock guards its process's lists and flags. It is
// held while the upstream flow is spawned, transferred or cancelled (these
// calls must be serialized anyway; the upstream is the publisher's own
// child), never while a subscriber's notifier or terminator runs.

#include <braid/flow.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace braid::detail::prop {

using rank_vector = std::vector<std::uint32_t>;

class pub_process;

/// The subscriber side of one subscription (see above).
struct sub_node {
  pub_process* source = nullptr;  // the process in whose effect it was made (context only)
  pub_process* target = nullptr;  // owned: one reference
  process* self = nullptr;        // the subscription's flow process
  flow_listener l;
  sub_node* prev = nullptr;  // ring links; null when not in a ring
  sub_node* next = nullptr;
  bool ready = false;  // in the process's `ready` ring
};

/// An entry of a propagation turn's heap, ordered by `rank`: a publisher's
/// process, or a bare combinator's deferred notification. `run` ticks it
/// and drops the reference the heap held.
struct turn_node {
  turn_node(const rank_vector* r, void (*f)(turn_node*) noexcept) noexcept : rank(r), run(f) {}
  const rank_vector* rank;
  void (*run)(turn_node*) noexcept;
  turn_node* child = nullptr;  // pairing heap links
  turn_node* sibling = nullptr;
};

/// The per-thread propagation state.
struct context {
  const rank_vector* cursor = nullptr;  // null: no turn running on this thread
  pub_process* process = nullptr;       // the process whose effect/callback runs
  turn_node* reacted = nullptr;         // heap: to tick in this pass
  turn_node* delayed = nullptr;         // heap: to tick in the next pass
  std::vector<sub_node*> buffer;        // subscriptions to call back after a tick
};
context& this_context() noexcept;

/// Ranks for a publisher or combinator built now on this thread.
rank_vector next_ranks();

class publisher : public std::enable_shared_from_this<publisher> {
 public:
  publisher() : ranks_(next_ranks()) {}
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;
  virtual ~publisher() = default;

  /// A new process for the first subscription (lock held). Its upstream is
  /// not spawned yet. One reference, the upstream run's.
  virtual pub_process* make_process() = 0;
  /// A process standing for a run that already terminated, rebuilt from
  /// the snapshot the last one left (lock held). One reference.
  virtual pub_process* make_final_process() = 0;

  const rank_vector ranks_;
  std::atomic<std::uint32_t> node_{0};  // children built inside this publisher's effect
  std::mutex lock_;
  pub_process* current_ = nullptr;  // guarded by lock_; not owning (see pub_process::release)
  bool ended_ = false;              // guarded by lock_: a snapshot of a terminated run exists
};

/// The turn's tick of a scheduled process (its turn_node::run).
void tick_scheduled(turn_node* n) noexcept;

class pub_process : public turn_node {
 public:
  explicit pub_process(std::shared_ptr<publisher> p) noexcept
      : turn_node(&p->ranks_, &tick_scheduled), parent_(std::move(p)) {}
  pub_process(const pub_process&) = delete;
  pub_process& operator=(const pub_process&) = delete;

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  /// The last release detaches the process from its publisher (leaving a
  /// snapshot if it had terminated) and deletes it.
  void release() noexcept;
  /// retain() unless the count already reached zero (the process is dying).
  bool try_retain() noexcept;

  // Strategy hooks (Missionary's Strategy), called with the lock held unless said.
  virtual void tick() noexcept = 0;
  virtual void publish() noexcept = 0;
  virtual void refresh() noexcept = 0;
  virtual void subscribe(sub_node* s, bool idle) noexcept = 0;
  virtual void unsubscribe(sub_node* s, bool idle) noexcept = 0;

  // Upstream access, lock held.
  virtual void spawn_input(flow_listener l) noexcept = 0;
  virtual void cancel_input() noexcept = 0;
  virtual void discard_input() noexcept = 0;
  /// Saves what a late subscriber needs into the publisher (lock held; only
  /// called when the upstream terminated).
  virtual void save_final() noexcept = 0;
  /// Forgets the current item (stream: every subscriber has taken it).
  virtual void clear_state() noexcept {}

  std::shared_ptr<publisher> parent_;
  std::atomic<int> pressure_{0};
  std::atomic<context*> owner_{nullptr};  // the thread that will ack, if any
  bool live_ = false;                     // the upstream has not terminated (Java: input != null)
  sub_node* ready_ = nullptr;    // ring of subscriptions waiting for a change
  sub_node* pending_ = nullptr;  // ring of notified subscriptions
  bool failed_ = false;
  bool dirty_ = false;
  bool flag_ = false;  // the upstream terminated (set by its terminator)
  std::exception_ptr error_;

 protected:
  virtual ~pub_process() = default;

 private:
  std::atomic<std::uint32_t> refs_{1};
};

// The core operations (Missionary's static functions of the same names).
void schedule(pub_process* ps) noexcept;
void crash(pub_process* ps, std::exception_ptr e) noexcept;
bool ack(pub_process* ps) noexcept;
sub_node* detach(sub_node* s) noexcept;
void stream_ack(sub_node* s) noexcept;
void step_all(pub_process* ps) noexcept;
void done_all(pub_process* ps) noexcept;
void drop_input(pub_process* ps) noexcept;
void release_lock(publisher& pub) noexcept;
bool enter(context& ctx) noexcept;
void leave(context& ctx, bool idle) noexcept;
void request(sub_node* s, bool idle) noexcept;
void step(sub_node* s, bool idle) noexcept;
void done(sub_node* s, bool idle) noexcept;
/// Upstream callbacks (the listener given to spawn_input).
void on_upstream_notify(void* ps) noexcept;
void on_upstream_terminate(void* ps) noexcept;
/// A new subscription `s` (its `self` and `l` set) of `pub`.
void subscribe(publisher& pub, sub_node* s) noexcept;
/// The subscription's cancel.
void unsubscribe(sub_node* s) noexcept;
/// The first half of a subscription's transfer: enters, locks, refreshes
/// if needed. Returns 0 to continue with the strategy's accept, 1 when the
/// subscription was cancelled (reject: done, then throw), 2 when the process
/// failed (done or re-requested; throw `error`).
int transfer_begin(sub_node* s, bool& idle, std::exception_ptr& error) noexcept;

/// [spec.flow.publishers] The notification a bare combinator (latest,
/// sample, zip) sends its consumer, deferred into the propagation turn
/// running on this thread, at the combinator's rank (see the top of this
/// file). One per combinator process, built at spawn; the owner calls
/// defer() where it would call `out.notify()`, and notifies itself when
/// defer() returns false.
///
/// The owner must not call defer() again before the consumer transferred
/// (the flow protocol already forbids a second notification before that),
/// so the node is never in the heap twice. Never defer the notification a
/// continuous flow owes during its spawn: a consumer such as a signal checks
/// that it arrived before spawn returned.
class deferred_notify : private turn_node {
 public:
  /// `rank`: the recipe's (see make_rank), kept alive by the owner;
  /// `owner`: retained while the notification is queued.
  deferred_notify(const rank_vector& rank, process& owner, flow_listener out) noexcept;
  deferred_notify(const deferred_notify&) = delete;
  deferred_notify& operator=(const deferred_notify&) = delete;

  /// The rank of a combinator recipe built now on this thread.
  static std::shared_ptr<const rank_vector> make_rank();

  /// If a propagation turn (or any propagator call) is running on this
  /// thread, queues the notification in it and returns true; otherwise
  /// returns false and the caller notifies at once.
  bool defer() noexcept;

 private:
  static void fire(turn_node* n) noexcept;

  process* owner_;
  flow_listener out_;
  pub_process* source_;  // the publisher effect the combinator was spawned in (context only)
};

std::exception_ptr empty_flow_error(const char* op);
std::exception_ptr uninitialized_flow_error(const char* op);

/// A process whose subscriptions transfer values of type T.
template <class T>
class typed_process : public pub_process {
 public:
  explicit typed_process(std::shared_ptr<publisher> p, flow<T> up) noexcept
      : pub_process(std::move(p)), up_(std::move(up)) {}
  /// The strategy's transfer, lock held; releases it.
  virtual T accept(sub_node* s, bool idle) = 0;
  /// The message of the braid::cancelled a cancelled subscription throws.
  virtual const char* cancelled_message() const noexcept = 0;

  void spawn_input(flow_listener l) noexcept override { input_ = up_.spawn(l); }
  void cancel_input() noexcept override { input_.cancel(); }
  void discard_input() noexcept override {
    try {
      (void)input_.transfer();
    } catch (...) {
      // Values and errors of a failed or abandoned run are dropped.
    }
  }

 protected:
  flow<T> up_;
  flow_iterator<T> input_;
};

/// One subscription: the flow process a publisher's spawn returns.
template <class T>
class subscription final : public flow_process<T> {
 public:
  explicit subscription(flow_listener l) noexcept : flow_process<T>(2) {  // the run + the iterator
    node_.self = this;
    node_.l = l;
  }
  void cancel() noexcept override { unsubscribe(&node_); }
  T transfer() override {
    bool idle = false;
    std::exception_ptr e;
    auto* ps = static_cast<typed_process<T>*>(node_.target);
    switch (transfer_begin(&node_, idle, e)) {
      case 1: {
        const char* msg = ps->cancelled_message();
        done(&node_, idle);
        throw braid::cancelled(msg);
      }
      case 2:
        std::rethrow_exception(e);
      default:
        return ps->accept(&node_, idle);
    }
  }

  sub_node node_;
  std::optional<T> state_;  // signal: the merge of the deltas since the last transfer

 private:
  ~subscription() override {
    if (node_.target) node_.target->release();
  }
};

/// The flow recipe of a publisher: each spawn is a new subscription.
template <class T>
class publisher_flow final : public flow_impl<T> {
 public:
  explicit publisher_flow(std::shared_ptr<publisher> p) noexcept : pub_(std::move(p)) {}
  flow_process<T>* spawn(flow_listener l) const noexcept override {
    subscription<T>* s;
    try {
      s = new subscription<T>(l);
    } catch (...) {
      return failing_flow<T>(std::current_exception())->spawn(l);
    }
    prop::subscribe(*pub_, &s->node_);
    return s;
  }

 private:
  std::shared_ptr<publisher> pub_;
};

}  // namespace braid::detail::prop
