// SPDX-License-Identifier: MIT
// The ambiguous-process driver. [design.4] [spec.flow.ap]
//
// One thread at a time "drains" a process: it runs branches and reacts to
// events. Every other source of activity (a parked task completing, an input
// notifying or terminating, a child branch ending, the consumer transferring
// or cancelling) posts an event on a branch under m_; if nobody drains, the
// poster becomes the drainer. Reactions never call each other: a branch that
// ends posts an event on its parent instead of pumping it, so however many
// values a synchronous source yields, the stack stays flat.
//
// Invariants (drainer only):
// - a branch is running, parked (child_), forked (input_, children) or
//   emitted (in the output queue, or being transferred);
// - a forked branch counts its live children in active_; it ends when its
//   input has terminated, no value is pending and active_ == 0;
// - a dead branch has only dead descendants: cancel_subtree stops at a dead
//   branch, and clones inherit their template's flag;
// - a branch is deleted only while handling its own event, with no child, no
//   input and no parked task left, so no event can name it afterwards.
#include <braid/ap.hpp>

#include <mutex>

namespace braid::detail {

void ap_core::check_cancelled() const {
  if (dead_) throw braid::cancelled("braid: ap branch cancelled");
}

void ap_core::begin_fork(std::uint8_t mode, std::size_t par, std::int32_t k, void* slot) noexcept {
  state_ = k;
  fork_k_ = k;
  kind_ = kind_forked;
  mode_ = mode;
  par_ = par;
  slot_off_ = static_cast<char*>(slot) - reinterpret_cast<char*>(this);
}

step ap_core::amb_on(std::size_t n, std::size_t par, std::int32_t k, slot<std::size_t>& s) noexcept {
  if (n == 0) return branch_ended;  // amb() with no argument
  begin_fork(mode_amb, par, k, &s);
  amb_n_ = n;
  input_done_ = true;  // nothing to terminate: the indices are the input
  proc_->post(this, ap_driver::ev_pump);  // queued: this branch is still running
  return suspended;
}

flow_listener ap_core::input_listener() noexcept {
  return flow_listener{this,
                       [](void* c) noexcept {
                         auto* n = static_cast<ap_core*>(c);
                         n->proc_->post(n, ap_driver::ev_notify);
                       },
                       [](void* c) noexcept {
                         auto* n = static_cast<ap_core*>(c);
                         n->proc_->post(n, ap_driver::ev_term);
                       }};
}

void ap_core::child_done() noexcept { proc_->post(this, ap_driver::ev_park); }

void ap_driver::start(ap_core* root) noexcept {
  root->proc_ = this;
  root_ = root;
  run(root);  // draining_ starts true: events raised meanwhile are queued
  drain();
}

void ap_driver::enqueue_locked(ap_core* n, std::uint8_t ev) noexcept {
  n->events_ |= ev;
  if (n->queued_) return;
  n->queued_ = true;
  n->next_event_ = nullptr;
  if (ev_tail_)
    ev_tail_->next_event_ = n;
  else
    ev_head_ = n;
  ev_tail_ = n;
}

void ap_driver::post(ap_core* n, std::uint8_t ev) noexcept {
  {
    std::lock_guard<spin_lock> g(m_);
    enqueue_locked(n, ev);
    if (draining_) return;  // the drainer picks it up on its next turn
    draining_ = true;
  }
  drain();
}

void ap_driver::cancel() noexcept {
  {
    std::lock_guard<spin_lock> g(m_);
    if (terminated_ || cancel_seen_) return;
    cancel_seen_ = true;
    kill_pending_ = true;
    if (draining_) return;
    draining_ = true;
  }
  drain();
}

ap_core* ap_driver::take_head() noexcept {
  std::lock_guard<spin_lock> g(m_);
  ap_core* n = out_head_;
  if (!n || !notified_) return nullptr;
  out_head_ = n->next_out_;
  if (!out_head_) out_tail_ = nullptr;
  n->next_out_ = nullptr;
  notified_ = false;
  return n;
}

void ap_driver::transferred(ap_core* n) noexcept {
  bool notify = false, own = false;
  {
    std::lock_guard<spin_lock> g(m_);
    enqueue_locked(n, ev_taken);
    if (out_head_ && !notified_) notify = notified_ = true;
    if (!draining_) own = draining_ = true;
  }
  // The next value's notification comes from inside this transfer; flow
  // consumers drain re-notifications in a loop, so this does not recurse.
  if (notify) out_.notify();
  if (own) drain();
}

void ap_driver::failed(ap_core* n) noexcept {
  bool own = false;
  {
    std::lock_guard<spin_lock> g(m_);
    failed_ = true;
    notified_ = false;
    enqueue_locked(n, ev_taken);
    // [spec.flow.ap] the error's transfer discards the queued values...
    for (ap_core* q = out_head_; q;) {
      ap_core* next = q->next_out_;
      q->next_out_ = nullptr;
      enqueue_locked(q, ev_taken);
      q = next;
    }
    out_head_ = out_tail_ = nullptr;
    // ...and cancels the whole tree.
    kill_pending_ = true;
    if (!draining_) own = draining_ = true;
  }
  if (own) drain();
}

void ap_driver::drain() noexcept {
  for (;;) {
    ap_core* n = nullptr;
    std::uint8_t ev = 0;
    bool kill = false, terminate = false;
    {
      std::lock_guard<spin_lock> g(m_);
      if (kill_pending_) {
        kill_pending_ = false;
        kill = true;
      } else if (ev_head_) {
        n = ev_head_;
        ev_head_ = n->next_event_;
        if (!ev_head_) ev_tail_ = nullptr;
        n->next_event_ = nullptr;
        n->queued_ = false;
        ev = std::exchange(n->events_, 0);
      } else {
        draining_ = false;
        if (!root_ && !terminated_) terminate = terminated_ = true;
      }
    }
    if (kill) {
      if (root_) cancel_subtree(root_);
      continue;
    }
    if (n) {
      handle(n, ev);
      continue;
    }
    if (terminate) {
      // Every branch is gone; nothing can post any more (cancel() sees
      // terminated_). Release the run, then tell the consumer.
      flow_listener l = out_;
      owner_->release();
      l.terminate();
    }
    return;
  }
}

void ap_driver::handle(ap_core* n, std::uint8_t ev) noexcept {
  if (ev & ev_park) {
    if (n->child_) std::exchange(n->child_, nullptr)->release();
    n->kind_ = ap_core::kind_running;
    run(n);
    return;
  }
  if (ev & ev_taken) {
    end(n);
    return;
  }
  if (ev & ev_notify) n->input_ready_ = true;
  if (ev & ev_term) {
    n->input_done_ = true;
    if (n->input_) std::exchange(n->input_, nullptr)->release();
  }
  pump(n);
}

void ap_driver::run(ap_core* n) noexcept {
  const step s = run_partitions(n, *n->table_, n->state_, n->raised_, n->error_);
  if (s == suspended) return;  // parked or forked: an event resumes it
  if (s == finished) {
    emit(n);
  } else if (s == branch_failed) {
    n->failed_ = true;  // its error is emitted like a value
    emit(n);
  } else {
    end(n);  // amb(): no value
  }
}

void ap_driver::pump(ap_core* n) noexcept {
  const bool ready = n->mode_ == ap_core::mode_amb ? n->amb_next_ < n->amb_n_ : n->input_ready_;
  if (ready) {
    if (n->active_ < n->par_) {
      pull(n);
    } else if (n->mode_ == ap_core::mode_switch && n->first_child_ && !n->first_child_->dead_) {
      // [spec.flow.ap] ?<: a new value cancels every later choice of the
      // running branch; it is taken once that branch has ended.
      cancel_subtree(n->first_child_);
    }
    return;
  }
  if (n->input_done_ && n->active_ == 0) {
    // The template's own kept locals die here; no handler runs for it (it
    // never resumes), each clone runs its own.
    n->table_->unwind(n, -1);
    if (n->error_) {
      n->failed_ = true;
      emit(n);
    } else {
      end(n);
    }
  }
}

void ap_driver::pull(ap_core* n) noexcept {
  ap_core* c;
  try {
    c = n->clone();
  } catch (...) {
    // No branch can take the value: consume it, and fail the forking branch
    // once its input and children have ended.
    if (!n->error_) n->error_ = std::current_exception();
    if (n->mode_ == ap_core::mode_amb) {
      n->amb_next_ = n->amb_n_;
    } else {
      n->input_ready_ = false;
      n->transfer_(n->input_, nullptr);
    }
    cancel_subtree(n);
    pump(n);  // no recursion: pump only pulls when a value is ready, and none is
    return;
  }
  c->proc_ = this;
  c->parent_ = n;
  c->dead_ = n->dead_;
  c->state_ = n->fork_k_;
  c->next_sib_ = n->first_child_;
  if (n->first_child_) n->first_child_->prev_sib_ = c;
  n->first_child_ = c;
  ++n->active_;
  void* s = reinterpret_cast<char*>(c) + n->slot_off_;
  if (n->mode_ == ap_core::mode_amb) {
    static_cast<slot<std::size_t>*>(s)->set_value(n->amb_next_++);
    // More indices for a merge: come back through the event list rather than
    // looping here, so a branch that ends at once does not nest.
    if (n->amb_next_ < n->amb_n_ && n->active_ < n->par_) post(n, ev_pump);
  } else {
    n->input_ready_ = false;
    n->transfer_(n->input_, s);  // a re-notification inside it is only queued
  }
  run(c);
}

void ap_driver::emit(ap_core* n) noexcept {
  n->kind_ = ap_core::kind_emitted;
  bool drop = false, notify = false;
  {
    std::lock_guard<spin_lock> g(m_);
    if (failed_) {
      drop = true;  // [spec.flow.ap] values produced after an error are discarded
    } else {
      n->next_out_ = nullptr;
      if (out_tail_)
        out_tail_->next_out_ = n;
      else
        out_head_ = n;
      out_tail_ = n;
      if (!notified_) notify = notified_ = true;
    }
  }
  if (drop)
    end(n);
  else if (notify)
    out_.notify();
}

void ap_driver::end(ap_core* n) noexcept {
  ap_core* p = n->parent_;
  if (p) {
    if (n->prev_sib_)
      n->prev_sib_->next_sib_ = n->next_sib_;
    else
      p->first_child_ = n->next_sib_;
    if (n->next_sib_) n->next_sib_->prev_sib_ = n->prev_sib_;
  } else {
    root_ = nullptr;
  }
  delete n;  // its kept locals were unwound when it finished
  if (p) {
    --p->active_;
    post(p, ev_pump);  // the drainer is us: only queued
  }
}

void ap_driver::cancel_subtree(ap_core* top) noexcept {
  // Depth-first over the live part of the subtree, without a stack: down
  // through first_child_, across through next_sib_, up through parent_.
  ap_core* n = top;
  for (;;) {
    bool descend = false;
    if (!n->dead_) {
      n->dead_ = true;
      if (n->child_) n->child_->cancel();  // completes later, or queues its event now
      if (n->input_) n->input_->cancel();
      descend = n->first_child_ != nullptr;
    }
    if (descend) {
      n = n->first_child_;
      continue;
    }
    while (n != top && !n->next_sib_) n = n->parent_;
    if (n == top) return;
    n = n->next_sib_;
  }
}

}  // namespace braid::detail
