// SPDX-License-Identifier: MIT
// The continuous-process driver. [design.4] [spec.flow.cp]
//
// The body runs only inside transfer, on the consumer's thread; the flow
// protocol serializes transfers, so the frames, the templates and the
// choices' values belong to that thread. Inputs notify and terminate from
// any thread: they only flip flags under m_ (and drop values of cancelled
// choices). cancel() may come from any thread: it cancels the inputs it
// finds under m_, or leaves that to the running transfer.
//
// Lifetimes: a choice lives in stack_ while its rank is part of the current
// run; pruned, it moves to detached_ and is freed by the transfer thread once
// its input has terminated and no callback is dropping its values. The rest
// are freed with the process, which ends after every input has terminated.
#include <braid/cp.hpp>

namespace braid::detail {

cp_choice::~cp_choice() {
  if (tmpl) {
    tmpl->table().unwind(tmpl, -1);  // the template's kept locals die with it
    delete tmpl;
  }
  if (input) input->release();
}

void cp_core::check_cancelled() const {
  if (proc_->cancel_requested()) throw braid::cancelled("braid: cp process cancelled");
}

void cp_core::attach(cp_choice* c) { proc_->attach(c); }
void cp_core::reached(cp_choice* c, void* target) noexcept { proc_->reached(c, target); }

flow_listener cp_core::choice_listener(cp_choice* c) noexcept {
  return flow_listener{c, [](void* x) noexcept {
                         auto* ch = static_cast<cp_choice*>(x);
                         ch->proc->on_notify(ch);
                       },
                       [](void* x) noexcept {
                         auto* ch = static_cast<cp_choice*>(x);
                         ch->proc->on_terminate(ch);
                       }};
}

cp_driver::cp_driver(flow_listener out, process* owner, cp_core* root) noexcept
    : out_(out), owner_(owner), root_(root) {
  root->proc_ = this;
}

cp_driver::~cp_driver() {
  if (root_) {
    root_->table().unwind(root_, -1);
    delete root_;
  }
  for (cp_choice* c : stack_) delete c;
  while (detached_) delete std::exchange(detached_, detached_->next_detached);
}

bool cp_driver::cancel_requested() noexcept {
  std::lock_guard<std::mutex> g(m_);
  return cancelled_;
}

std::vector<process*> cp_driver::inputs_to_cancel_locked() {
  cancel_applied_ = true;
  std::vector<process*> v;
  for (cp_choice* c : stack_)
    if (!c->done && c->input) {
      c->input->retain();
      v.push_back(c->input);
    }
  return v;
}

void cp_driver::cancel() noexcept {
  std::vector<process*> ins;
  {
    std::lock_guard<std::mutex> g(m_);
    if (cancelled_ || terminated_) return;
    cancelled_ = true;
    if (in_transfer_) return;  // run_transfer cancels them before it returns
    try {
      ins = inputs_to_cancel_locked();
    } catch (...) {
      cancel_applied_ = false;  // out of memory: the next transfer retries
      return;
    }
  }
  // [spec.flow.cp] braid: every input is cancelled, not only the first one.
  for (process* p : ins) {
    p->cancel();
    p->release();
  }
}

void cp_driver::attach(cp_choice* c) {
  c->proc = this;
  std::lock_guard<std::mutex> g(m_);
  stack_.push_back(c);  // may throw (before the input is spawned)
  ++live_inputs_;
}

void cp_driver::reached(cp_choice* c, void* target) noexcept {
  bool ready, cancelled;
  {
    std::lock_guard<std::mutex> g(m_);
    ready = std::exchange(c->ready, false);
    cancelled = cancelled_;
  }
  // Missionary: an input reached after cancellation is cancelled at once,
  // before its first value is read.
  if (cancelled && c->input) c->input->cancel();
  if (ready) {
    c->take();
    c->put(target);
    return;
  }
  // Not ready: no value to continue with. The choice is cancelled and the
  // body gets the error at the fork point.
  {
    std::lock_guard<std::mutex> g(m_);
    stack_.pop_back();  // it is the newest choice
    c->detached = true;
    c->next_detached = detached_;
    detached_ = c;
  }
  if (c->input) c->input->cancel();
  c->error = std::make_exception_ptr(std::logic_error(
      "braid: undefined continuous flow: the input of fork_switch in a cp body had no value "
      "when it was reached; give it an initial value (a watch, a latest, a signal)"));
  c->put(target);
}

void cp_driver::on_notify(cp_choice* c) noexcept {
  bool notify = false;
  bool drop = false;  // decided under the lock: prune may detach c right after it
  {
    std::lock_guard<std::mutex> g(m_);
    if (c->detached) {
      if (c->discarding) {
        c->redo = true;  // the running discard loop takes it
        return;
      }
      c->discarding = true;
      drop = true;
    } else {
      c->ready = true;
      if (!in_transfer_ && !notified_) notify = notified_ = true;
    }
  }
  if (notify) {
    out_.notify();
    return;
  }
  // A choice detached after the lock was released had its value taken over
  // by prune (ready -> drop_now): it is not ours to drop.
  if (drop) discard(c);
}

void cp_driver::discard(cp_choice* c) noexcept {
  // A loop, not recursion: a value announced inside the drop only sets redo.
  for (;;) {
    c->drop();
    std::lock_guard<std::mutex> g(m_);
    if (!c->redo) {
      c->discarding = false;  // the last touch of c from this thread
      return;
    }
    c->redo = false;
  }
}

void cp_driver::on_terminate(cp_choice* c) noexcept {
  bool term = false;
  {
    std::lock_guard<std::mutex> g(m_);
    c->done = true;
    --live_inputs_;
    if (can_end_locked()) term = terminated_ = true;
  }
  if (term) end();
}

bool cp_driver::can_end_locked() const noexcept {
  return !fresh_ && !in_transfer_ && !notified_ && live_inputs_ == 0 && !terminated_;
}

void cp_driver::end() noexcept {
  flow_listener l = out_;
  owner_->release();  // the run's reference; the consumer's iterator may still hold one
  l.terminate();
}

void cp_driver::sweep() noexcept {
  cp_choice* dead = nullptr;
  {
    std::lock_guard<std::mutex> g(m_);
    for (cp_choice** p = &detached_; *p;) {
      cp_choice* c = *p;
      if (c->done && !c->discarding) {
        *p = c->next_detached;
        c->next_detached = dead;
        dead = c;
      } else {
        p = &c->next_detached;
      }
    }
  }
  while (dead) delete std::exchange(dead, dead->next_detached);
}

void cp_driver::prune(std::size_t keep) noexcept {
  // Cut every choice deeper than `keep` under the lock, then cancel their
  // inputs (and drop a value that was waiting) outside it.
  cp_choice* cut = nullptr;
  {
    std::lock_guard<std::mutex> g(m_);
    while (stack_.size() > keep) {
      cp_choice* c = stack_.back();
      stack_.pop_back();
      c->detached = true;
      if (c->ready) {  // its value is ours to drop, not a callback's
        c->ready = false;
        c->discarding = true;
        c->drop_now = true;
      }
      c->next_detached = detached_;
      detached_ = c;
      if (!cut) cut = c;
    }
  }
  if (!cut) return;
  // Only this thread frees detached choices (sweep), so walking them is safe.
  for (cp_choice* c = detached_; c; c = c->next_detached) {
    bool done;
    {
      std::lock_guard<std::mutex> g(m_);
      done = c->done;
    }
    if (!done && c->input) c->input->cancel();
    if (std::exchange(c->drop_now, false)) discard(c);
    if (c == cut) break;
  }
}

void cp_driver::fail(std::exception_ptr e) noexcept {
  if (!error_) error_ = std::move(e);
  prune(0);  // [spec.flow.cp] a failed body cancels every input
}

void cp_driver::run_body(cp_core* f) noexcept {
  const step s = run_partitions(f, f->table(), f->state_, f->raised_, f->error_);
  if (s == finished) {
    keep_result(f);
  } else if (s == branch_failed) {
    fail(std::move(f->error_));
  } else {
    fail(std::make_exception_ptr(std::logic_error(
        "braid: a cp body ended without a value; every path of a BRAID_CP body must return one")));
  }
  delete f;
}

bool cp_driver::run_transfer() noexcept {
  {
    std::lock_guard<std::mutex> g(m_);
    in_transfer_ = true;
    notified_ = false;
  }
  sweep();
  if (fresh_) {
    fresh_ = false;
    run_body(std::exchange(root_, nullptr));
  }
  for (;;) {
    cp_choice* c = nullptr;
    std::size_t rank = 0;
    bool term = false;
    std::vector<process*> ins;
    {
      std::lock_guard<std::mutex> g(m_);
      for (; rank < stack_.size(); ++rank)
        if (stack_[rank]->ready) {
          c = stack_[rank];
          c->ready = false;
          break;
        }
      if (!c) {
        if (cancelled_ && !cancel_applied_) {
          try {
            ins = inputs_to_cancel_locked();
          } catch (...) {
          }
        }
        in_transfer_ = false;
        // A ready choice found after this point notifies the consumer.
        if (can_end_locked()) term = terminated_ = true;
      }
    }
    if (!c) {
      for (process* p : ins) {
        p->cancel();
        p->release();
      }
      sweep();
      return term;
    }
    if (!c->take()) continue;  // [spec.flow.cp] same value: the cached result stands
    prune(rank + 1);
    cp_core* f;
    try {
      f = c->tmpl->clone();
    } catch (...) {
      c->put(nullptr);
      fail(std::current_exception());
      continue;
    }
    f->proc_ = this;
    f->state_ = c->k;
    c->put(reinterpret_cast<char*>(f) + c->slot_off);
    run_body(f);
  }
}

}  // namespace braid::detail
