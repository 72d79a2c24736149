// SPDX-License-Identifier: MIT
#include <braid/flow.hpp>
#include <braid/task.hpp>

#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <typeinfo>

namespace braid {

std::exception_ptr cancelled_error(const char* why) { return std::make_exception_ptr(cancelled(why)); }

bool is_cancelled(const std::exception_ptr& e) noexcept {
  if (!e) return false;
  try {
    std::rethrow_exception(e);
  } catch (const cancelled&) {
    return true;
  } catch (...) {
    return false;
  }
}

namespace {

void default_callback_error_handler(std::exception_ptr e) {
  const char* what = "an exception of unknown type";
  std::string buf;
  try {
    std::rethrow_exception(e);
  } catch (const detail::protocol_violation& x) {
    std::fprintf(stderr, "%s\n", x.what());  // the message says it all
    return;
  } catch (const std::exception& x) {
    buf = x.what();
    what = buf.c_str();
  } catch (const cancelled& c) {
    what = c.what();
  } catch (...) {
  }
  std::fprintf(stderr,
               "braid: a completion callback threw (%s); the exception was dropped "
               "(braid::set_callback_error_handler changes this)\n",
               what);
}

std::atomic<callback_error_handler> g_callback_error_handler{&default_callback_error_handler};

}  // namespace

callback_error_handler set_callback_error_handler(callback_error_handler h) noexcept {
  if (!h) h = &default_callback_error_handler;
  return g_callback_error_handler.exchange(h, std::memory_order_acq_rel);
}

namespace detail {

void report_callback_error(std::exception_ptr e) noexcept {
  try {
    g_callback_error_handler.load(std::memory_order_acquire)(std::move(e));
  } catch (...) {
    // A throwing handler has nowhere to go either.
  }
}

void report_protocol_violation(const char* what) noexcept {
  std::exception_ptr e;
  try {
    e = std::make_exception_ptr(protocol_violation(what));
  } catch (...) {
    e = std::current_exception();  // out of memory: report that instead
  }
  report_callback_error(std::move(e));
}

std::exception_ptr empty_task_error() {
  return std::make_exception_ptr(std::logic_error(
      "braid: ran an empty task (default-constructed or moved-from); assign it a "
      "task before running it"));
}

std::exception_ptr empty_flow_error() {
  return std::make_exception_ptr(std::logic_error(
      "braid: spawned an empty flow (default-constructed or moved-from); assign it a "
      "flow before spawning it"));
}


}  // namespace detail
}  // namespace braid
