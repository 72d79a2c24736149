// SPDX-License-Identifier: MIT
// The durable engine's internals, shared by engine.cpp (one step) and
// runs.cpp (the operations built from steps).
#pragma once

#include <braid/durable/frame.hpp>
#include <braid/durable/store.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace braid::durable::detail {

/// A frame as stored, before decoding: its header and the spans (in the
/// stack's bytes) of its parameters and kept locals.
struct stored_frame {
  std::string function;
  std::string partition;
  std::uint64_t hash = 0;
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t col = 0;
  std::vector<frame_reader::entry> params;
  std::vector<frame_reader::entry> locals;
};

/// A stored call: what a run was started with.
struct stored_call {
  std::string function;
  std::uint64_t signature = 0;
  std::string args;  // encoded array
};

/// Throws error(corrupt) when the bytes are not a stack / a call.
std::vector<stored_frame> parse_stack(std::string_view bytes, run_id id);
stored_call parse_call(std::string_view call, run_id id);
std::string encode_call(const durable_table& t, std::string_view args);

/// This program's table and partition for each stored frame. Throws
/// error(unknown_function) for a function this program lacks; returns the
/// blocked-by-version message when a partition differs.
std::optional<std::string> check_versions(const std::vector<stored_frame>& frames, run_id id,
                                          std::vector<const durable_table*>& tables,
                                          std::vector<std::int32_t>& states);

void destroy_frame(durable_core* f) noexcept;

/// One step of one run, in memory.
class engine {
 public:
  engine(store& st, run_id id, bool cancelling);
  ~engine();
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// Stacks a frame (the engine owns it from here).
  void push(durable_core* f);
  /// Decodes the stored frames onto the stack (checked by check_versions).
  void decode_stack(std::string_view bytes, const std::vector<stored_frame>& frames,
                    const std::vector<const durable_table*>& tables, const std::vector<std::int32_t>& states);
  durable_core& top();
  bool empty() const noexcept { return stack_.empty(); }
  static const resume_site* site_of(const durable_core& f);
  static void set_state(durable_core& f, std::int32_t k);

  /// Runs partitions until the run is stored (a listen, a wait_for on a
  /// child that has not ended) or has ended. Throws what aborts the step.
  void run();
  /// The step's writes (the run row's new state, outputs, index, children).
  step_record record();

  // Read by the frame hooks (friends below) and runs.cpp.
  store& st_;
  run_id id_;
  bool cancelling_;

  enum class end { none, listen, child, complete, failed, cancelled };
  end end_ = end::none;
  std::string context_;
  run_id child_{};
  std::string result_, error_, error_type_;
  std::vector<std::string> outputs_;
  std::vector<std::pair<std::string, std::optional<std::string>>> index_;
  std::vector<new_run> children_;
  std::vector<timer_request> timers_;
  std::vector<std::string> timer_cancels_;
  std::vector<subscription_change> subscriptions_;
  std::exception_ptr abort_;

 private:
  step run_frame(durable_core* f, std::exception_ptr& err);
  void set_failure(std::exception_ptr e);
  void encode_frame(writer& w, durable_core& f);
  std::string encode_stack();

  std::vector<durable_core*> stack_;  // bottom (root) first
};

engine* current_engine() noexcept;
engine& current_engine_or_throw(const char* what);

}  // namespace braid::durable::detail
