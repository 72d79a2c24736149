// SPDX-License-Identifier: MIT
#pragma once

/// The values durable runs are made of ([design.6], docs/durable.md):
/// `braid::run<T>` (what a call of a BRAID_DURABLE function returns: the
/// function's identity and its encoded arguments), run ids, statuses,
/// events, child handles, and what get_run reports.

#include <braid/durable/codec.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace braid::durable {

namespace detail {
struct durable_table;
}  // namespace detail

/// A run's identity in its store: a positive integer the store assigns.
enum class run_id : std::int64_t {};

inline std::string to_string(run_id id) { return std::to_string(static_cast<std::int64_t>(id)); }

template <>
struct codec<run_id> {
  static void encode(writer& w, run_id id) { w.uint(static_cast<std::uint64_t>(id)); }
  static run_id decode(reader& r) { return run_id(static_cast<std::int64_t>(r.read_uint(INT64_MAX, "run_id"))); }
  static std::string name() { return "run_id"; }
};

/// Where a run is:
/// - running: a step is due that needs no event (a child run not started
///   yet, or a parent whose child has ended); resume_runs runs it.
/// - waiting: stored at a listen (for an event of its context) or at a
///   wait_for (for a child run to end).
/// - complete, failed, cancelled: ended, with a result or an error.
/// - blocked_by_version: stored by code whose partition differs from this
///   program's; never resumed by this program (docs/durable.md "Versioning").
enum class run_status { running, waiting, complete, failed, cancelled, blocked_by_version };

/// "running", "waiting", "complete", "failed", "cancelled", "blocked-by-version".
std::string_view to_string(run_status s) noexcept;
/// The status named s, or nullopt.
std::optional<run_status> parse_run_status(std::string_view s) noexcept;

inline bool has_ended(run_status s) noexcept {
  return s == run_status::complete || s == run_status::failed || s == run_status::cancelled;
}

/// An event for a run: `context` must be the one the run listens for, and
/// `id` names the event for exactly-once delivery (a second delivery of the
/// same id to the same run is reported as a duplicate and changes nothing).
/// `payload` is the encoded value the listen returns (see make_event).
struct event {
  std::string id;
  std::string context;
  std::string payload;
};

/// An event whose value is `value`, encoded with its codec: it must decode
/// as the E of the `listen<E>` it continues.
template <class E>
event make_event(std::string id, std::string context, const E& value) {
  return event{std::move(id), std::move(context), encode(value)};
}

/// What a start_run call may add.
struct start_options {
  /// When not empty: a run started with this key already exists, start_run
  /// returns its id and runs nothing (exactly-once starts across retries).
  std::string key;
};

/// What continue_run did.
struct continue_result {
  /// True when the run had already received an event with this id: nothing
  /// ran, nothing changed.
  bool duplicate = false;
  /// The run's status after the call (and the steps it caused).
  run_status status = run_status::waiting;
};

/// How cancel_run ends a run.
enum class cancel_mode {
  /// Missionary's cancellation: braid::cancelled is thrown at the listen
  /// (or wait_for) the run is stored at, its handlers and destructors run,
  /// and it ends (a listen reached afterwards throws at once). Needs the
  /// run's code, at the stored version.
  unwind,
  /// The run is marked cancelled without running any of its code (a run
  /// blocked by version, or whose program is gone).
  kill,
};

/// One value a run emitted with braid::durable::output.
struct output_record {
  std::uint64_t seq;    ///< 1, 2, ... per run
  std::uint64_t step;   ///< the step (version) that emitted it
  std::string value;    ///< encoded
};

/// One event a run received.
struct event_record {
  std::string id;
  std::string context;
  std::string payload;
  std::uint64_t step;   ///< the step it caused
};

/// What get_run reports.
struct run_info {
  run_id id{};
  std::string function;        ///< the stable name of the run's root function
  run_status status = run_status::running;
  std::string key;             ///< start_options::key, or empty
  std::string waiting_for;     ///< the listen context (waiting, or blocked at a listen)
  std::optional<run_id> waiting_child;  ///< the child run a wait_for waits for
  std::string event_type;      ///< the E of the listen it waits at
  std::string result;          ///< complete: the encoded result
  std::string error;           ///< failed or cancelled: the message
  std::string error_type;      ///< failed: the exception's type
  std::string blocked;         ///< blocked_by_version: which partition changed, and what to do
  std::optional<run_id> parent;
  std::vector<run_id> children;
  std::map<std::string, std::string> index;
  std::uint64_t step = 0;      ///< committed steps so far (the version)

  /// The result decoded as T; throws codec_error when it does not decode,
  /// error(not_waiting) when the run has not completed.
  template <class T>
  T result_as() const {
    if (status != run_status::complete)
      throw braid::durable::error(error_kind::not_waiting,
                  "braid: run " + to_string(id) + " has no result: its status is " + std::string(to_string(status)));
    return decode<T>(result, "the result of run " + to_string(id));
  }
};

/// What find_runs selects; every set member must match.
struct run_query {
  std::optional<run_status> status;
  std::string function;         ///< exact stable name
  std::optional<run_id> parent;
  std::string waiting_for;      ///< exact listen context
  std::vector<std::pair<std::string, std::string>> index;  ///< key = value, all of them
  std::size_t limit = 0;        ///< 0: no limit; runs come in id order
};

}  // namespace braid::durable

namespace braid {

/// What a call of a `BRAID_DURABLE braid::run<T> f(args)` function returns:
/// f's identity and its arguments, encoded. Nothing runs until it is
/// started (braid::durable::start_run), started as a child
/// (braid::durable::start_child) or parked on inside a durable body
/// (braid::park: f's frame stacks on the caller's, in the same run).
template <class T>
class run {
 public:
  using value_type = T;

  /// The stable name of the function (defined in frame.hpp).
  std::string_view function() const noexcept;
  /// The encoded arguments (an array).
  const std::string& arguments() const noexcept { return args_; }
  /// Internal: the function's table.
  const durable::detail::durable_table& table() const noexcept { return *table_; }

  /// Internal (make_run).
  run(const durable::detail::durable_table& t, std::string args) noexcept : table_(&t), args_(std::move(args)) {}

  /// So that an annotated body's `return v;` (and `return {};` for
  /// run<void>) type-checks before braidc rewrites it into the frame's
  /// finish_with. Declared only: a program that calls one was not built
  /// through braidc, and fails to link.
  template <class U, std::enable_if_t<!std::is_void_v<T> && std::is_convertible_v<U&&, T>, int> = 0>
  run(U&& value);
  run();

 private:
  const durable::detail::durable_table* table_;
  std::string args_;
};

}  // namespace braid

namespace braid::durable {

/// A child run started by start_child: its id, and the type wait_for returns.
/// Kept in a frame across listens like any value (it encodes as its id).
template <class T>
class child {
 public:
  using value_type = T;
  child() noexcept = default;
  explicit child(run_id id) noexcept : id_(id) {}
  run_id id() const noexcept { return id_; }
  friend bool operator==(const child&, const child&) = default;

 private:
  run_id id_{};
};

template <class T>
struct codec<child<T>> {
  static void encode(writer& w, const child<T>& c) { codec<run_id>::encode(w, c.id()); }
  static child<T> decode(reader& r) { return child<T>(codec<run_id>::decode(r)); }
  static std::string name() { return "braid::durable::child<" + detail::codec_name<T>() + ">"; }
};

}  // namespace braid::durable
