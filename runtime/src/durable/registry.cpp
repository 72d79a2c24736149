// SPDX-License-Identifier: MIT
// The registry of durable functions: stable name -> table, filled before
// main by registration<Frame> (frame.hpp), read when a stored run is
// decoded. And the step hook of the crash harness.
#include <braid/durable/frame.hpp>
#include <braid/durable/store.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

namespace braid::durable::detail {

namespace {
struct registry {
  std::mutex m;
  std::map<std::string, const durable_table*, std::less<>> tables;
  std::set<std::string, std::less<>> conflicts;
};
// A function-local static: registration runs during static initialization,
// in any order relative to other translation units.
registry& the_registry() {
  static registry r;
  return r;
}

std::atomic<testing::step_hook> g_hook{nullptr};
}  // namespace

bool register_table(const durable_table& t) noexcept {
  registry& r = the_registry();
  try {
    std::lock_guard<std::mutex> g(r.m);
    auto [it, added] = r.tables.emplace(t.function, &t);
    // The same table twice is one function (an inline function's frame is
    // one type across translation units); another table under the same
    // name is two functions braid could not tell apart.
    if (!added && it->second != &t) r.conflicts.insert(t.function);
  } catch (...) {
    // Out of memory before main: the function is then unknown, which
    // continuing one of its runs reports.
  }
  return true;
}

const durable_table* find_table(std::string_view function) {
  registry& r = the_registry();
  std::lock_guard<std::mutex> g(r.m);
  if (r.conflicts.count(function))
    throw error(error_kind::misuse, "braid: two different durable functions are registered under the stable name '" +
                                        std::string(function) +
                                        "' (two definitions with the same name and signature in different "
                                        "translation units); give one of them another name");
  auto it = r.tables.find(function);
  return it == r.tables.end() ? nullptr : it->second;
}

std::vector<const durable_table*> registered_tables() {
  registry& r = the_registry();
  std::lock_guard<std::mutex> g(r.m);
  std::vector<const durable_table*> out;
  for (const auto& [name, t] : r.tables) out.push_back(t);
  return out;
}

void call_step_hook(step_point p, run_id id) noexcept {
  if (auto h = g_hook.load(std::memory_order_acquire)) h(p, id);
}

}  // namespace braid::durable::detail

namespace braid::durable::testing {
step_hook set_step_hook(step_hook h) noexcept { return detail::g_hook.exchange(h, std::memory_order_acq_rel); }
}  // namespace braid::durable::testing
