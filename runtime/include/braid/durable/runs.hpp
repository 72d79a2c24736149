// SPDX-License-Identifier: MIT
#pragma once

/// Durable runs: start, continue, inspect, cancel ([design.6],
/// docs/durable.md).
///
///     braid::durable::sqlite_store store("runs.db");
///     auto id = braid::durable::start_run(store, survey("alice"));   // runs to the first listen
///     ...                                                            // any process, any time later:
///     braid::durable::continue_run(store, id, make_event("e1", "answer:alice", std::string("yes")));
///     auto info = braid::durable::get_run(store, id);                // status, result, ...
///
/// A step runs from one listen (or wait_for) to the next, in the calling
/// thread, in memory (parks on ordinary tasks included), and is committed
/// in one store transaction: the stack of frames, the status, the event,
/// outputs, index entries and child runs, or nothing. An error() from any
/// function here means the store is as it was.

#include <braid/durable/frame.hpp>
#include <braid/durable/run.hpp>
#include <braid/durable/store.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace braid::durable {

/// What wait_for throws for a child run that failed. (A cancelled child
/// throws braid::cancelled.)
class child_failed : public std::runtime_error {
 public:
  child_failed(run_id child, const std::string& what, std::string error_type)
      : std::runtime_error(what), child_(child), error_type_(std::move(error_type)) {}
  run_id child() const noexcept { return child_; }
  /// The type of the exception the child failed with.
  const std::string& error_type() const noexcept { return error_type_; }

 private:
  run_id child_;
  std::string error_type_;
};

namespace detail {
run_id start(store& s, const durable_table& t, const std::string& args, const start_options& o);
run_id start_child_run(const durable_table& t, const std::string& args);
void emit_output(std::string encoded);
}  // namespace detail

/// Starts a run of `r` (a call of a BRAID_DURABLE function): runs its
/// first step (up to its first listen, or its end) and stores it. With
/// `o.key` set and a run of that key stored, returns that run's id and
/// runs nothing. A body that throws is a run that failed (stored, not
/// thrown); error() is thrown only when the run could not be stored.
template <class T>
run_id start_run(store& s, const braid::run<T>& r, const start_options& o = {}) {
  return detail::start(s, r.table(), r.arguments(), o);
}

/// Delivers `e` to run `id`: the run must be waiting at a listen whose
/// context is e.context; it continues with the event's value until its
/// next listen (or its end), and that step is committed with the event.
/// Then the steps this one made due (child runs it started, a parent
/// waiting for it) run, each in its own transaction.
///
/// Errors (nothing is changed): unknown_run; not_waiting (the run ended,
/// or a step is due); wrong_context (it listens for another context, or
/// waits for a child run); bad_event (the payload does not decode as the
/// listen's type); version_blocked (stored by other code: the run is
/// marked blocked-by-version); unknown_function; corrupt; conflict
/// (another process committed a step of this run while this one ran).
/// An event id the run already received returns {duplicate = true}.
continue_result continue_run(store& s, run_id id, const event& e);

/// The run's status, result or error, the context or child it waits for,
/// parent, children and index. Throws error(unknown_run).
run_info get_run(store& s, run_id id);

/// The runs matching every set member of q, in id order.
std::vector<run_info> find_runs(store& s, const run_query& q);

/// Cancels run `id` and every unfinished run below it (children first).
/// unwind: each run's stored listen or wait_for throws braid::cancelled
/// and its handlers run (a run that handles it may still complete); kill:
/// each is marked cancelled and no code runs. Cancelling an ended run does
/// nothing. Returns the run's status afterwards. Throws unknown_run;
/// version_blocked (unwind needs the code that stored the run: use kill).
run_status cancel_run(store& s, run_id id, cancel_mode m = cancel_mode::unwind);

/// Runs every due step (status running: a child run started by a step
/// whose process stopped before running it, a parent woken by a child
/// that ended): what a worker calls when it starts. Returns the number of
/// steps committed. A run that cannot be resumed here (its code is not in
/// this program, or differs) is left as it is (and marked
/// blocked-by-version when its code differs).
std::size_t resume_runs(store& s);

/// Values the run emitted with output(), after sequence number `after_seq`.
std::vector<output_record> get_outputs(store& s, run_id id, std::uint64_t after_seq = 0);
/// Events the run received, in order.
std::vector<event_record> get_events(store& s, run_id id);

/// A stored frame, decoded without the program's types (what braid-runs
/// show prints): values in diagnostic notation (to_diagnostic).
struct frame_view {
  std::string function;
  std::string partition;
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t col = 0;
  std::uint64_t hash = 0;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::pair<std::string, std::string>> locals;
};
/// The run's stored stack, bottom (root) frame first; empty for a run that
/// has ended or not started. Throws error(corrupt) when it does not decode.
std::vector<frame_view> get_stack(store& s, run_id id);
/// The arguments the run was started with, in diagnostic notation.
std::string get_call(store& s, run_id id);

// ---- inside a durable body (during a step) --------------------------------
// These are ordinary calls (not suspension points); each throws
// error(misuse) outside a step.

/// The id of the run whose step is running.
run_id this_run();

/// Emits a value to the outside world, committed with the step (readers
/// see it once the step is stored, exactly once).
template <class T>
void output(const T& value) {
  detail::emit_output(encode(value));
}
/// A string literal is output as a std::string.
inline void output(const char* text) { output(std::string(text)); }

/// Sets an index entry of this run (find_runs selects by them), with the step.
void set_index(std::string key, std::string value);
/// Removes one.
void clear_index(std::string key);

/// Starts `r` as a child run of this run: its own run, stored with this
/// step and started (its first step) right after it, in its own
/// transaction. wait_for(the result) suspends until it ends.
template <class T>
child<T> start_child(const braid::run<T>& r) {
  return child<T>(detail::start_child_run(r.table(), r.arguments()));
}

}  // namespace braid::durable
