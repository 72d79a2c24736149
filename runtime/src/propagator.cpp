// SPDX-License-Identifier: MIT
// [spec.flow.publishers] The propagator core; see detail/propagator.hpp.
#include <braid/detail/propagator.hpp>

#include <stdexcept>
#include <string>

namespace braid::detail::prop {

namespace {

const rank_vector ceiling{};
std::atomic<std::uint32_t> root{0};

// Lexicographic order on ranks, where a longer vector extending a shorter
// one sorts first (a publisher built inside another's effect ticks before it).
bool lt(const rank_vector& x, const rank_vector& y) noexcept {
  std::size_t ml = x.size() < y.size() ? x.size() : y.size();
  for (std::size_t i = 0; i < ml; ++i)
    if (x[i] != y[i]) return x[i] < y[i];
  return x.size() > y.size();
}

bool lt(const turn_node* x, const turn_node* y) noexcept { return lt(*x->rank, *y->rank); }

// An intrusive pairing heap of turn nodes ordered by rank.
turn_node* meld(turn_node* x, turn_node* y) noexcept {
  if (lt(x, y)) {
    y->sibling = x->child;
    x->child = y;
    return x;
  }
  x->sibling = y->child;
  y->child = x;
  return y;
}

turn_node* dmin(turn_node* x) noexcept {
  turn_node* head = x->child;
  if (!head) return nullptr;
  x->child = nullptr;
  turn_node* heap = nullptr;
  turn_node* prev = nullptr;
  for (;;) {
    turn_node* next = head ? head->sibling : nullptr;
    if (!prev) {
      if (!next) return head ? (heap ? meld(heap, head) : head) : heap;
      prev = head;
      head = next;
    } else {
      head = meld(prev, head);
      heap = heap ? meld(heap, head) : head;
      if (!next) return heap;
      prev = nullptr;
      head = next;
    }
  }
}

turn_node* enqueue(turn_node* r, turn_node* p) noexcept {
  p->child = nullptr;
  return r ? meld(p, r) : p;
}

// Queues `n` (already counted for the heap) in this thread's turn: in the
// running pass if it ranks above the cursor, otherwise in the next pass.
void schedule_node(context& ctx, turn_node* n) noexcept {
  if (lt(*ctx.cursor, *n->rank))
    ctx.reacted = enqueue(ctx.reacted, n);
  else
    ctx.delayed = enqueue(ctx.delayed, n);
}

void acquire(publisher& pub) noexcept { pub.lock_.lock(); }

void attach(sub_node* p, sub_node* s) noexcept {
  if (!p) {
    s->prev = s;
    s->next = s;
  } else {
    sub_node* n = p->next;
    p->next = s;
    s->prev = p;
    s->next = n;
    n->prev = s;
  }
}

// Splices ring `s` into ring `p` (p may be null).
void ring_union(sub_node* p, sub_node* s) noexcept {
  if (p) {
    sub_node* n = p->next;
    sub_node* t = s->next;
    p->next = t;
    t->prev = p;
    s->next = n;
    n->prev = s;
  }
}

void clear(sub_node* head) noexcept {
  sub_node* s = head;
  do {
    sub_node* n = s->next;
    s->next = s->prev = nullptr;
    s = n;
  } while (s != head);
}

// Copies a ring into the context's buffer, for calling back once the lock
// is released. Ticks never nest on one thread (they run in leave's loop
// only), so one buffer per thread suffices.
void bufferize(context& ctx, sub_node* head) {
  sub_node* s = head;
  do {
    s->ready = false;
    ctx.buffer.push_back(s);
    s = s->next;
  } while (s != head);
}

void terminate(context& ctx, pub_process* ps) noexcept {
  publisher& pub = *ps->parent_;
  drop_input(ps);
  if (sub_node* r = ps->ready_) {
    ps->ready_ = nullptr;
    bufferize(ctx, r);
    clear(r);
  }
  release_lock(pub);
}

void invalidate(context& ctx, pub_process* ps) noexcept {
  publisher& pub = *ps->parent_;
  ps->dirty_ = true;
  if (sub_node* r = ps->ready_) {
    ps->ready_ = nullptr;
    bufferize(ctx, r);
    sub_node* old = ps->pending_;
    ps->pending_ = r;
    ring_union(old, r);
  }
  release_lock(pub);
}

void call_terminator(sub_node* s) noexcept {
  flow_listener l = s->l;
  s->self->release();  // the subscription run's reference, before its terminator
  l.terminate();
}

void failed_emit(pub_process* ps) noexcept {
  publisher& pub = *ps->parent_;
  for (;;) {
    if (ps->flag_) {
      done_all(ps);
      return;
    }
    ps->discard_input();
    if (!ack(ps)) {
      release_lock(pub);
      return;
    }
  }
}

}  // namespace

void release_lock(publisher& pub) noexcept { pub.lock_.unlock(); }

context& this_context() noexcept {
  thread_local context ctx;
  return ctx;
}

rank_vector next_ranks() {
  context& ctx = this_context();
  if (!ctx.process) return rank_vector{root.fetch_add(1, std::memory_order_relaxed)};
  const publisher& p = *ctx.process->parent_;
  rank_vector r = p.ranks_;
  r.push_back(const_cast<publisher&>(p).node_.fetch_add(1, std::memory_order_relaxed));
  return r;
}

void pub_process::release() noexcept {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  // Dying: unhook from the publisher, which may outlive us. A subscriber
  // racing with us under the lock finds the count at zero (try_retain
  // fails) and takes the snapshot itself.
  {
    std::lock_guard<std::mutex> g(parent_->lock_);
    if (parent_->current_ == this) {
      if (!live_ && flag_) save_final();
      parent_->current_ = nullptr;
    }
  }
  delete this;
}

bool pub_process::try_retain() noexcept {
  std::uint32_t n = refs_.load(std::memory_order_relaxed);
  while (n != 0)
    if (refs_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed)) return true;
  return false;
}

void schedule(pub_process* ps) noexcept {
  ps->retain();  // the heap's reference, dropped after the tick
  schedule_node(this_context(), ps);
}

void crash(pub_process* ps, std::exception_ptr e) noexcept {
  ps->error_ = std::move(e);
  ps->failed_ = true;
  if (ps->parent_->current_ == ps) ps->cancel_input();
}

// The pressure handshake: the upstream's event (on_upstream_notify) and
// the consumers' acknowledgement (ack) each move the counter; whichever
// comes second (reaching zero) schedules the process. seq_cst RMWs also
// publish the fields the upstream callbacks wrote (flag_) to the ticker.
bool ack(pub_process* ps) noexcept { return ps->pressure_.fetch_sub(1) - 1 == 0; }

sub_node* detach(sub_node* s) noexcept {
  sub_node* p = s->prev;
  sub_node* n = s->next;
  s->prev = nullptr;
  s->next = nullptr;
  if (p == s) return nullptr;
  p->next = n;
  n->prev = p;
  return p;
}

void stream_ack(sub_node* s) noexcept {
  pub_process* ps = s->target;
  if (!(ps->pending_ = detach(s))) {
    if (ps->owner_.load() == nullptr) {
      ps->clear_state();
      if (ack(ps)) schedule(ps);
    }
  }
}

void drop_input(pub_process* ps) noexcept {
  if (!ps->live_) return;
  ps->live_ = false;
  ps->release();  // the upstream run's reference; a heap or subscription reference remains
}

void step_all(pub_process* ps) noexcept {
  context& ctx = this_context();
  std::size_t base = ctx.buffer.size();
  invalidate(ctx, ps);
  for (std::size_t i = base; i < ctx.buffer.size(); ++i) {
    sub_node* s = ctx.buffer[i];
    ctx.process = s->source;
    s->l.notify();
  }
  ctx.buffer.resize(base);
}

void done_all(pub_process* ps) noexcept {
  context& ctx = this_context();
  std::size_t base = ctx.buffer.size();
  terminate(ctx, ps);
  for (std::size_t i = base; i < ctx.buffer.size(); ++i) {
    sub_node* s = ctx.buffer[i];
    ctx.process = s->source;
    call_terminator(s);
  }
  ctx.buffer.resize(base);
}

bool enter(context& ctx) noexcept {
  if (ctx.cursor) return false;
  ctx.cursor = &ceiling;
  return true;
}

void tick_scheduled(turn_node* n) noexcept {
  auto* ps = static_cast<pub_process*>(n);
  // Keep the publisher alive through the tick: dropping the heap's
  // reference below may free the process and, with it, the last owner.
  std::shared_ptr<publisher> keep = ps->parent_;
  publisher& pub = *keep;
  acquire(pub);
  if (ps->failed_) {
    if (ps->owner_.load() == nullptr) {
      failed_emit(ps);
    } else {
      ps->owner_.store(nullptr);
      if (ack(ps))
        failed_emit(ps);
      else
        release_lock(pub);
    }
  } else {
    ps->tick();
  }
  ps->release();  // the heap's reference
}

// Runs the propagation turn when this call is the outermost one on this
// thread: nodes (processes and deferred notifications) are ticked in rank
// order; a node scheduled with a rank above the cursor joins this pass, one
// at or below it the next pass. A tick never recurses into another: events
// it causes on this thread only queue nodes, which this loop runs.
void leave(context& ctx, bool idle) noexcept {
  if (!idle) return;
  turn_node* n;
  while ((n = ctx.delayed) != nullptr) {
    ctx.delayed = nullptr;
    do {
      ctx.cursor = n->rank;
      ctx.reacted = dmin(n);
      n->run(n);  // may free n (and its rank): the cursor is reset below, unread until then
      ctx.cursor = &ceiling;
    } while ((n = ctx.reacted) != nullptr);
  }
  ctx.cursor = nullptr;
  ctx.process = nullptr;
}

void request(sub_node* s, bool idle) noexcept {
  pub_process* ps = s->target;
  publisher& pub = *ps->parent_;
  context& ctx = this_context();
  s->ready = true;
  sub_node* old = ps->ready_;
  ps->ready_ = s;
  attach(old, s);
  release_lock(pub);
  leave(ctx, idle);
}

void step(sub_node* s, bool idle) noexcept {
  pub_process* ps = s->target;
  publisher& pub = *ps->parent_;
  context& ctx = this_context();
  sub_node* old = ps->pending_;
  ps->pending_ = s;
  attach(old, s);
  release_lock(pub);
  s->l.notify();
  leave(ctx, idle);
}

void done(sub_node* s, bool idle) noexcept {
  publisher& pub = *s->target->parent_;
  context& ctx = this_context();
  release_lock(pub);
  call_terminator(s);
  leave(ctx, idle);
}

void on_upstream_notify(void* p) noexcept {
  auto* ps = static_cast<pub_process*>(p);
  context& ctx = this_context();
  context* self = &ctx;
  // The owner is acking anyway (it runs the transfer or the spawn that
  // caused this): it sees the event without a handshake.
  if (ps->owner_.compare_exchange_strong(self, nullptr)) return;
  if (ps->pressure_.fetch_add(1) + 1 == 0) {
    bool idle = enter(ctx);
    schedule(ps);
    leave(ctx, idle);
  }
}

void on_upstream_terminate(void* p) noexcept {
  static_cast<pub_process*>(p)->flag_ = true;
  on_upstream_notify(p);
}

void subscribe(publisher& pub, sub_node* s) noexcept {
  context& ctx = this_context();
  bool idle = enter(ctx);
  acquire(pub);
  pub_process* source = ctx.process;
  pub_process* target = pub.current_;
  if (target && !target->try_retain()) {
    // Dying under our feet (see pub_process::release): take its snapshot.
    if (!target->live_ && target->flag_) target->save_final();
    pub.current_ = target = nullptr;
  }
  if (!target && pub.ended_) {
    target = pub.make_final_process();
    pub.current_ = target;
  }
  if (!target) {
    pub_process* ps = pub.make_process();  // the upstream run's reference
    ps->retain();                          // the subscription's
    ps->owner_.store(&ctx);
    pub.current_ = ps;
    ctx.process = ps;
    ps->live_ = true;
    ps->spawn_input(flow_listener{ps, &on_upstream_notify, &on_upstream_terminate});
    ctx.process = source;
    ps->publish();
    target = ps;
  }
  s->source = source;
  s->target = target;
  if (target->failed_)
    step(s, idle);
  else
    target->subscribe(s, idle);
}

void unsubscribe(sub_node* s) noexcept {
  pub_process* ps = s->target;
  publisher& pub = *ps->parent_;
  context& ctx = this_context();
  bool idle = enter(ctx);
  acquire(pub);
  if (!s->next || !ps->live_ || pub.current_ != ps) {
    // Already cancelled, or the run ended, or a newer run replaced it.
    release_lock(pub);
    leave(ctx, idle);
  } else if ((s->ready ? ps->pending_ : ps->ready_) == nullptr && s->next == s) {
    // The last subscription: the run is cancelled and this subscription
    // follows it to its end (it sees the upstream's last notification).
    pub.current_ = nullptr;
    ps->cancel_input();
    release_lock(pub);
    leave(ctx, idle);
  } else {
    ps->unsubscribe(s, idle);
  }
}

int transfer_begin(sub_node* s, bool& idle, std::exception_ptr& error) noexcept {
  pub_process* ps = s->target;
  publisher& pub = *ps->parent_;
  context& ctx = this_context();
  idle = enter(ctx);
  acquire(pub);
  if (!s->next) return 1;
  if (ps->dirty_) {
    ps->dirty_ = false;
    pub_process* p = ctx.process;
    ctx.process = ps;
    ps->refresh();
    ctx.process = p;
  }
  if (ps->failed_) {
    ps->pending_ = detach(s);
    error = ps->error_;
    if (!ps->live_)
      done(s, idle);
    else
      request(s, idle);
    return 2;
  }
  return 0;
}

deferred_notify::deferred_notify(const rank_vector& rank, process& owner, flow_listener out) noexcept
    : turn_node(&rank, &fire), owner_(&owner), out_(out), source_(this_context().process) {}

std::shared_ptr<const rank_vector> deferred_notify::make_rank() {
  return std::make_shared<const rank_vector>(next_ranks());
}

bool deferred_notify::defer() noexcept {
  context& ctx = this_context();
  // A non-null cursor means an outermost leave() is below us on this
  // thread's stack (every enter is paired with one): it will run the node.
  if (!ctx.cursor) return false;
  owner_->retain();  // the heap's reference: the owner outlives the queued notification
  schedule_node(ctx, this);
  return true;
}

void deferred_notify::fire(turn_node* n) noexcept {
  auto* d = static_cast<deferred_notify*>(n);
  context& ctx = this_context();
  // The consumer runs in the effect the combinator was spawned in, as a
  // subscription's notifier does (step_all): a publisher it builds ranks
  // as a child of that one.
  pub_process* saved = ctx.process;
  ctx.process = d->source_;
  process* owner = d->owner_;
  d->out_.notify();  // the consumer may transfer, and the owner end, in here
  ctx.process = saved;
  owner->release();
}

std::exception_ptr empty_flow_error(const char* op) {
  return std::make_exception_ptr(std::logic_error(
      std::string("braid: ") + op + ": the upstream flow terminated without a value (an empty flow); a " + op +
      " needs a continuous upstream that is ready at spawn"));
}

std::exception_ptr uninitialized_flow_error(const char* op) {
  return std::make_exception_ptr(std::logic_error(
      std::string("braid: ") + op + ": uninitialized continuous flow (the upstream did not notify during spawn; a " +
      op + " needs a continuous upstream that is ready at spawn)"));
}

}  // namespace braid::detail::prop
