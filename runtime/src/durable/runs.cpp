// SPDX-License-Identifier: MIT
// start_run, continue_run, cancel_run, resume_runs and the queries: each
// operation loads a run, checks it, runs one step in memory (engine) and
// commits it, then runs the steps that commit made due. [design.6]
// docs/durable.md "Steps" and "Exactly once".
#include "engine.hpp"

#include <braid/durable/registries.hpp>
#include <braid/durable/runs.hpp>

#include <deque>
#include <set>

namespace braid::durable {

std::string_view to_string(run_status s) noexcept {
  switch (s) {
    case run_status::running: return "running";
    case run_status::waiting: return "waiting";
    case run_status::complete: return "complete";
    case run_status::failed: return "failed";
    case run_status::cancelled: return "cancelled";
    case run_status::blocked_by_version: return "blocked-by-version";
  }
  return "?";
}

std::optional<run_status> parse_run_status(std::string_view s) noexcept {
  for (run_status v : {run_status::running, run_status::waiting, run_status::complete, run_status::failed,
                       run_status::cancelled, run_status::blocked_by_version})
    if (to_string(v) == s) return v;
  return std::nullopt;
}

namespace {

using detail::engine;

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

/// After a commit: a registry worker of this process may have to wake
/// (an earlier timer, a queued message the run now listens for).
void wake_if_needed(store& st, const commit_result& cr) {
  if (cr.timers_added || cr.deliverable) detail::wake_workers(st);
}

/// The status get_run reports.
run_status reported(const stored_run& r) { return r.blocked.empty() ? r.status : run_status::blocked_by_version; }

stored_run load_or_throw(store& st, run_id id) {
  auto r = st.load(id);
  if (!r)
    throw error(error_kind::unknown_run, "braid: no run " + to_string(id) + " in " + st.describe() +
                                             " (braid-runs list <store> shows the runs there)");
  return std::move(*r);
}

/// Decodes a stored run's stack onto e, after checking every frame's
/// version. A frame stored by other code marks the run blocked-by-version
/// and throws error(version_blocked), saying `what_to_do`.
void load_stack(store& st, const stored_run& r, engine& e, std::string_view what_to_do = {}) {
  const auto frames = detail::parse_stack(r.stack, r.id);
  std::vector<const detail::durable_table*> tables;
  std::vector<std::int32_t> states;
  if (auto why = detail::check_versions(frames, r.id, tables, states)) {
    st.mark_blocked(r.id, r.version, *why);
    throw error(error_kind::version_blocked, *why + std::string(what_to_do));
  }
  e.decode_stack(r.stack, frames, tables, states);
}

/// A run that has not run yet (a child whose first step is due): its root
/// frame from the stored call.
void make_root(store& st, const stored_run& r, engine& e) {
  const detail::stored_call c = detail::parse_call(r.call, r.id);
  const detail::durable_table* t = detail::find_table(c.function);
  if (!t)
    throw error(error_kind::unknown_function,
                "braid: run " + to_string(r.id) + " is a run of " + quoted(c.function) +
                    ", a durable function this program does not contain (not linked in, or renamed); "
                    "resume it with a program that has it, or cancel it with cancel_mode::kill (braid-runs cancel --kill)");
  if (t->signature_hash != c.signature) {
    const std::string why = "braid: run " + to_string(r.id) + " is blocked by version: the signature of " +
                            quoted(c.function) + " differs from the one it was started with. It was started by other "
                            "code: resume it with that program, or cancel it with cancel_mode::kill (braid-runs cancel --kill)";
    st.mark_blocked(r.id, r.version, why);
    throw error(error_kind::version_blocked, why);
  }
  try {
    detail::engine_push_call(e, *t, c.args);
  } catch (const codec_error& x) {
    throw error(error_kind::corrupt, std::string(x.what()) + " (a corrupt row: the run was left as it was)");
  }
}

/// The outcome of the child a stored frame waits for, into its wait site.
void deliver_child(store& st, const stored_run& r, engine& e) {
  const detail::resume_site* site = engine::site_of(e.top());
  if (!site || site->kind != detail::resume_kind::wait_for || !r.waiting_child)
    throw error(error_kind::corrupt, "braid: run " + to_string(r.id) +
                                         " is running with a stored stack that does not wait for a child run "
                                         "(a corrupt row: the run was left as it was)");
  const auto c = st.load(*r.waiting_child);
  if (!c || !has_ended(c->status))
    throw error(error_kind::corrupt, "braid: run " + to_string(r.id) + " is running but the child run " +
                                         to_string(*r.waiting_child) + " it waits for has not ended" +
                                         " (a corrupt row: the run was left as it was)");
  if (c->status == run_status::complete) {
    reader rd(c->result, "the result of child run " + to_string(c->id));
    try {
      site->put(&e.top(), rd);
      rd.expect_end();
    } catch (const codec_error& x) {
      throw error(error_kind::corrupt, std::string(x.what()) + " (run " + to_string(r.id) + " waits for a " +
                                           site->type_name() + "; nothing was changed)");
    }
  } else {
    detail::child_outcome o;
    o.status = c->status;
    o.error = c->error;
    o.error_type = c->error_type;
    site->put_error(&e.top(), detail::child_error(c->id, o));
  }
}

/// Runs the steps made due by a commit (new children, woken parents),
/// each in its own transaction, breadth first. A due step that cannot run
/// here (its code is missing or differs, another process took it) stays
/// due: resume_runs reports it. `skip`: runs being cancelled.
std::size_t run_due(store& st, std::vector<run_id> due, const std::set<run_id>& skip = {});

/// One due step of run `id`. Returns the runs its commit made due, or
/// nullopt when nothing was committed (the run was not due, or another
/// process committed first).
std::optional<std::vector<run_id>> step_due(store& st, run_id id) {
  const auto r = st.load(id);
  if (!r || r->status != run_status::running) return std::nullopt;
  engine e(st, id, false);
  if (r->stack.empty()) {
    make_root(st, *r, e);
  } else {
    load_stack(st, *r, e);
    deliver_child(st, *r, e);
  }
  e.run();
  step_record rec = e.record();
  rec.expected_version = r->version;
  detail::call_step_hook(step_point::before_write, id);
  commit_result cr = st.commit(rec);
  if (cr.status != commit_status::committed) return std::nullopt;
  detail::call_step_hook(step_point::after_commit, id);
  wake_if_needed(st, cr);
  return std::move(cr.runnable);
}

/// Ends a claim the step's commit did not end (the step threw before its
/// commit, or was not due).
struct claim_scope {
  store& st;
  ~claim_scope() { st.release_claim(); }
};

std::size_t run_due(store& st, std::vector<run_id> due, const std::set<run_id>& skip) {
  std::deque<run_id> work(due.begin(), due.end());
  std::size_t steps = 0;
  while (!work.empty()) {
    const run_id id = work.front();
    work.pop_front();
    if (skip.count(id)) continue;
    try {
      // A store with claims: another worker stepping this run now keeps
      // it (its commit does what this one would have done).
      if (!st.claim_run(id)) continue;
      const claim_scope claimed{st};
      if (auto more = step_due(st, id)) {
        ++steps;
        work.insert(work.end(), more->begin(), more->end());
      }
    } catch (const error&) {
      // Left due (or marked blocked); resume_runs says why.
    }
  }
  return steps;
}

run_info info_of(store& st, stored_run r) {
  run_info i;
  i.id = r.id;
  i.function = std::move(r.function);
  i.status = reported(r);
  i.key = std::move(r.key);
  i.waiting_for = std::move(r.waiting_for);
  i.waiting_child = r.waiting_child;
  i.event_type = std::move(r.event_type);
  i.result = std::move(r.result);
  i.error = std::move(r.error);
  i.error_type = std::move(r.error_type);
  i.blocked = std::move(r.blocked);
  i.parent = r.parent;
  i.children = st.children(r.id);
  i.index = st.index(r.id);
  i.step = r.version;
  return i;
}

/// Run `id` and its unfinished descendants, children before parents.
void subtree(store& st, run_id id, std::vector<run_id>& out, std::set<run_id>& seen) {
  if (!seen.insert(id).second) return;
  for (run_id c : st.children(id)) subtree(st, c, out, seen);
  out.push_back(id);
}

}  // namespace

namespace detail {

run_id start(store& st, const durable_table& t, const std::string& args, const start_options& o) {
  if (!o.key.empty())
    if (auto existing = st.find_key(o.key)) return *existing;
  const run_id id = st.allocate_id();
  engine e(st, id, false);
  engine_push_call(e, t, args);
  e.run();
  step_record rec = e.record();
  rec.create = true;
  rec.key = o.key;
  rec.function = t.function;
  rec.call = encode_call(t, args);
  call_step_hook(step_point::before_write, id);
  commit_result cr = st.commit(rec);
  if (cr.status == commit_status::duplicate_key) return cr.existing;
  call_step_hook(step_point::after_commit, id);
  wake_if_needed(st, cr);
  run_due(st, std::move(cr.runnable));
  return id;
}

}  // namespace detail

continue_result continue_run(store& st, run_id id, const event& ev) {
  const stored_run r = load_or_throw(st, id);
  if (st.has_event(id, ev.id)) return {true, reported(r)};
  const std::string run = "run " + to_string(id);
  const std::string nothing = "; event " + quoted(ev.id) + " was not delivered";
  if (has_ended(r.status))
    throw error(error_kind::not_waiting, "braid: " + run + " has ended (" + std::string(to_string(r.status)) + ")" +
                                             nothing);
  if (r.status == run_status::running)
    throw error(error_kind::not_waiting,
                "braid: " + run + " is running: a step is due that needs no event (resume_runs, or "
                "braid-runs resume <store>, runs it)" + nothing);
  if (r.waiting_child)
    throw error(error_kind::wrong_context, "braid: " + run + " waits for its child run " +
                                               to_string(*r.waiting_child) + " to end, not for an event" + nothing);
  if (r.waiting_for != ev.context)
    throw error(error_kind::wrong_context, "braid: " + run + " listens for " + quoted(r.waiting_for) + ", not " +
                                               quoted(ev.context) + nothing);
  engine e(st, id, false);
  load_stack(st, r, e);
  const detail::resume_site* site = engine::site_of(e.top());
  if (!site || site->kind != detail::resume_kind::listen)
    throw error(error_kind::corrupt, "braid: " + run + " is waiting for " + quoted(r.waiting_for) +
                                         " but its stored stack is not at a listen (a corrupt row: the run was "
                                         "left as it was)");
  reader payload(ev.payload, "the payload of event " + quoted(ev.id));
  try {
    site->put(&e.top(), payload);
    payload.expect_end();
  } catch (const codec_error& x) {
    throw error(error_kind::bad_event, std::string(x.what()) + " (" + run + " listens for a " + site->type_name() +
                                           " at " + quoted(e.top().table().parts[e.top().state()].name) + ")" +
                                           nothing);
  }
  e.run();
  step_record rec = e.record();
  rec.expected_version = r.version;
  rec.delivered = ev;
  detail::call_step_hook(step_point::before_write, id);
  commit_result cr = st.commit(rec);
  if (cr.status == commit_status::duplicate_event) return {true, reported(load_or_throw(st, id))};
  if (cr.status == commit_status::conflict) {
    const auto now = st.load(id);
    throw error(error_kind::conflict,
                "braid: " + run + " was continued by another process while this one ran event " + quoted(ev.id) +
                    " (this step started at step " + std::to_string(r.version) + "; the run is now at step " +
                    (now ? std::to_string(now->version) : std::string("?")) +
                    "); this step was discarded and nothing was stored: continue_run again to deliver the "
                    "event to the run as it is now");
  }
  detail::call_step_hook(step_point::after_commit, id);
  wake_if_needed(st, cr);
  run_due(st, std::move(cr.runnable));
  return {false, reported(load_or_throw(st, id))};
}

run_info get_run(store& st, run_id id) { return info_of(st, load_or_throw(st, id)); }

std::vector<run_info> find_runs(store& st, const run_query& q) {
  std::vector<run_info> out;
  for (run_id id : st.find(q))
    if (auto r = st.load(id)) out.push_back(info_of(st, std::move(*r)));
  return out;
}

run_status cancel_run(store& st, run_id id, cancel_mode m) {
  const stored_run root = load_or_throw(st, id);
  if (has_ended(root.status)) return root.status;
  std::vector<run_id> order;
  std::set<run_id> cancelling;
  subtree(st, id, order, cancelling);
  if (m == cancel_mode::unwind) {
    // Every run of the tree must be unwindable by this program before any
    // of them is cancelled: a refusal then changes nothing (but the mark).
    for (run_id rid : order) {
      const auto r = st.load(rid);
      if (!r || has_ended(r->status) || r->stack.empty()) continue;
      const auto frames = detail::parse_stack(r->stack, rid);
      std::vector<const detail::durable_table*> tables;
      std::vector<std::int32_t> states;
      if (auto why = detail::check_versions(frames, rid, tables, states)) {
        st.mark_blocked(rid, r->version, *why);
        throw error(error_kind::version_blocked,
                    *why + "; its handlers cannot run here (cancel_mode::kill, braid-runs cancel --kill, ends it "
                           "without them); nothing was cancelled");
      }
    }
  }
  std::vector<run_id> woken;
  for (run_id rid : order) {
    // A few attempts: a child that ended wakes this run (a new version)
    // between the load and the commit.
    for (int attempt = 0;; ++attempt) {
      const auto r = st.load(rid);
      if (!r || has_ended(r->status)) break;
      engine e(st, rid, true);
      step_record rec;
      if (m == cancel_mode::kill || r->stack.empty()) {
        rec.id = rid;
        rec.status = run_status::cancelled;
        rec.error = m == cancel_mode::kill ? "braid: killed by cancel_run(cancel_mode::kill); none of its code ran"
                                           : "braid: cancelled before its first step ran";
        rec.error_type = "braid::cancelled";
      } else {
        load_stack(st, *r, e, "; its handlers cannot run here (cancel_mode::kill, braid-runs cancel --kill, ends it without them)");
        const detail::resume_site* site = engine::site_of(e.top());
        if (!site || site->kind == detail::resume_kind::call)
          throw error(error_kind::corrupt, "braid: run " + to_string(rid) +
                                               "'s stored stack is not at a listen or a wait_for (a corrupt row: "
                                               "the run was left as it was)");
        site->put_error(&e.top(), braid::cancelled_error("braid: durable run cancelled"));
        e.run();
        rec = e.record();
      }
      rec.expected_version = r->version;
      detail::call_step_hook(step_point::before_write, rid);
      commit_result cr = st.commit(rec);
      if (cr.status == commit_status::committed) {
        detail::call_step_hook(step_point::after_commit, rid);
        wake_if_needed(st, cr);
        woken.insert(woken.end(), cr.runnable.begin(), cr.runnable.end());
        break;
      }
      if (attempt == 8)
        throw error(error_kind::conflict, "braid: run " + to_string(rid) +
                                              " kept being changed by other processes while it was being cancelled");
    }
  }
  run_due(st, std::move(woken), cancelling);
  return reported(load_or_throw(st, id));
}

std::size_t resume_runs(store& st) {
  if (!st.claims()) return run_due(st, st.runnable());
  // One claimed run at a time, in id order, each at most once per call:
  // runs other workers hold are skipped (they are stepping them), and a
  // run that cannot be stepped here is not claimed again by this pass.
  std::size_t steps = 0;
  run_id after{};
  while (const auto id = st.claim_runnable(after)) {
    after = *id;
    steps += run_due(st, {*id});
  }
  return steps;
}

std::vector<output_record> get_outputs(store& st, run_id id, std::uint64_t after_seq) {
  load_or_throw(st, id);
  return st.outputs(id, after_seq);
}

std::vector<event_record> get_events(store& st, run_id id) {
  load_or_throw(st, id);
  return st.events(id);
}

std::vector<frame_view> get_stack(store& st, run_id id) {
  const stored_run r = load_or_throw(st, id);
  std::vector<frame_view> out;
  if (r.stack.empty()) return out;
  for (auto& f : detail::parse_stack(r.stack, id)) {
    frame_view v;
    v.function = f.function;
    v.partition = f.partition;
    v.file = f.file;
    v.line = f.line;
    v.col = f.col;
    v.hash = f.hash;
    try {
      for (const auto& e : f.params)
        v.params.emplace_back(e.name, to_diagnostic(std::string_view(r.stack).substr(e.begin, e.end - e.begin),
                                                    "parameter " + quoted(e.name)));
      for (const auto& e : f.locals)
        v.locals.emplace_back(e.name, to_diagnostic(std::string_view(r.stack).substr(e.begin, e.end - e.begin),
                                                    "kept local " + quoted(e.name)));
    } catch (const codec_error& x) {
      throw error(error_kind::corrupt, std::string(x.what()) + " (in the stored stack of run " + to_string(id) + ")");
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::string get_call(store& st, run_id id) {
  const stored_run r = load_or_throw(st, id);
  const detail::stored_call c = detail::parse_call(r.call, id);
  try {
    return to_diagnostic(c.args, "the arguments of run " + to_string(id));
  } catch (const codec_error& x) {
    throw error(error_kind::corrupt, x.what());
  }
}

}  // namespace braid::durable
