// SPDX-License-Identifier: MIT
// Interleaving exploration: random, PCT, bounded-exhaustive; shrinking
// ([spec.sim.explore]).
#include <braid/cancelled.hpp>
#include <braid/sim/explore.hpp>

#include <algorithm>
#include <set>
#include <unordered_map>

namespace braid::sim {

namespace {

std::uint64_t mix(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The seed of run i: independent streams for neighbouring runs.
std::uint64_t run_seed(std::uint64_t seed, std::size_t i) noexcept {
  std::uint64_t s = seed ^ (0xD1B54A32D192ED03ull * (i + 1));
  return mix(s);
}

/// PCT over chains (logical threads). Priorities: chains get random values
/// above `depth` when first seen; at each change point the chosen chain
/// drops to depth - i, below every initial priority.
class pct_chooser final : public detail::chooser {
 public:
  pct_chooser(std::uint64_t seed, int depth, std::size_t k) : rng_(seed), depth_(std::max(depth, 1)) {
    // depth - 1 distinct change points, uniform in [1, k].
    const std::size_t want = static_cast<std::size_t>(depth_ - 1);
    k = std::max<std::size_t>(k, 1);
    while (change_.size() < std::min(want, k)) change_.insert(1 + static_cast<std::size_t>(mix(rng_) % k));
  }

  std::size_t choose(std::span<const detail::ready_entry> ready, std::uint64_t) override {
    ++point_;
    for (auto& r : ready)
      if (!prio_.count(r.chain)) prio_[r.chain] = depth_ + static_cast<std::int64_t>(mix(rng_) >> 2);
    std::size_t best = argmax(ready);
    if (change_.count(point_)) {
      ++changes_;
      prio_[ready[best].chain] = depth_ - changes_;
      best = argmax(ready);
    }
    return best;
  }

 private:
  std::size_t argmax(std::span<const detail::ready_entry> ready) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < ready.size(); ++i)
      if (prio_[ready[i].chain] > prio_[ready[best].chain]) best = i;
    return best;
  }
  std::uint64_t rng_;
  std::int64_t depth_;
  std::set<std::size_t> change_;
  std::unordered_map<std::uint64_t, std::int64_t> prio_;
  std::size_t point_ = 0;
  std::int64_t changes_ = 0;
};

/// Depth-first enumeration of decision sequences within a preemption
/// bound. A frame per decision point: the alternatives in the order they are
/// tried (the non-preemptive default first), the cost of each (1 when it
/// switches away from a chain that has ready work), and the preemptions
/// spent before it. Relies on the task being deterministic for a given
/// schedule (checked: a replayed prefix must meet the same choices).
class exhaustive_chooser final : public detail::chooser {
 public:
  explicit exhaustive_chooser(int bound) : bound_(bound) {}

  void begin_run() { point_ = 0; }

  std::size_t choose(std::span<const detail::ready_entry> ready, std::uint64_t last_chain) override {
    const std::size_t i = point_++;
    if (i < stack_.size()) {
      frame& f = stack_[i];
      if (f.order.size() != ready.size()) nondeterministic_ = true;
      return std::min(f.order[f.pos], ready.size() - 1);
    }
    frame f;
    const bool last_ready =
        std::any_of(ready.begin(), ready.end(), [&](const detail::ready_entry& r) { return r.chain == last_chain; });
    std::size_t def = 0;
    for (std::size_t k = 0; k < ready.size(); ++k)
      if (ready[k].chain == last_chain) {
        def = k;
        break;
      }
    f.order.push_back(def);
    for (std::size_t k = 0; k < ready.size(); ++k)
      if (k != def) f.order.push_back(k);
    for (std::size_t k = 0; k < ready.size(); ++k) f.cost.push_back(last_ready && ready[k].chain != last_chain ? 1 : 0);
    if (!stack_.empty()) {
      const frame& b = stack_.back();
      f.used_before = b.used_before + b.cost[b.order[b.pos]];
    }
    stack_.push_back(std::move(f));
    return def;
  }

  /// Moves to the next schedule; false when every one was run.
  bool next() {
    // Frames deeper than this run reached belong to no schedule any more.
    if (stack_.size() > point_) stack_.resize(point_);
    while (!stack_.empty()) {
      frame& f = stack_.back();
      while (++f.pos < f.order.size())
        if (f.used_before + f.cost[f.order[f.pos]] <= bound_) break;
      if (f.pos < f.order.size()) return true;
      stack_.pop_back();
    }
    return false;
  }

  bool nondeterministic() const noexcept { return nondeterministic_; }

 private:
  struct frame {
    std::vector<std::size_t> order;
    std::vector<int> cost;
    std::size_t pos = 0;
    int used_before = 0;
  };
  int bound_;
  std::vector<frame> stack_;
  std::size_t point_ = 0;
  bool nondeterministic_ = false;
};

detail::iteration run_in(scheduler& s, const detail::run_fn& run) {
  detail::iteration it = run(s);
  it.taken = s.taken();
  it.trace = s.trace();
  return it;
}

bool same_failure(const detail::iteration& a, const detail::iteration& b) {
  return a.failed && b.failed && a.kind == b.kind && a.harness == b.harness;
}

// Trailing nth 0 decisions are what FIFO would choose anyway.
void drop_trailing_fifo(schedule& s) {
  while (!s.empty() && s.back().kind == decision::kind_t::nth && s.back().n == 0) s.pop_back();
}

}  // namespace

std::string to_text(const strategy& s) {
  switch (s.kind) {
    case strategy::kind_t::random: return "random";
    case strategy::kind_t::pct: return "pct depth " + std::to_string(s.depth);
    case strategy::kind_t::exhaustive: return "exhaustive preemption bound " + std::to_string(s.preemption_bound);
  }
  return "?";
}

const char* to_string(failure_kind k) noexcept {
  switch (k) {
    case failure_kind::property: return "property";
    case failure_kind::exception: return "exception";
    case failure_kind::harness: return "harness";
  }
  return "?";
}

std::string failure_info::to_text() const {
  std::string s = "braid::sim: interleaving failure (" + std::string(to_string(kind));
  if (harness) s += std::string(": ") + sim::to_string(*harness);
  s += ") in run " + std::to_string(iteration) + " of strategy " + sim::to_text(strategy) + ", seed " +
       std::to_string(seed) + "\n  " + message + "\n";
  s += "shrunk schedule (" + std::to_string(shrunk.size()) + " decisions; the failing run made " +
       std::to_string(original.size()) + "; " + std::to_string(shrink_runs) + " shrink runs):\n";
  for (auto& d : shrunk) s += "  " + sim::to_text(d) + "\n";
  s += "replay: braid::sim::replay_schedule(task, braid::sim::parse_schedule(\"";
  for (std::size_t i = 0; i < shrunk.size(); ++i) s += (i ? " " : "") + sim::to_text(shrunk[i]);
  s += "\"))\ntrace of the shrunk run:\n" + sim::to_text(shrunk_trace);
  return s;
}

namespace detail {

std::string describe(const std::exception_ptr& e) {
  if (!e) return "";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (const braid::cancelled& c) {
    return std::string("braid::cancelled: ") + c.what();
  } catch (...) {
    return "an exception of unknown type";
  }
}

explore_stats explore(const explore_config& cfg, const run_fn& run,
                      const std::function<bool(std::size_t, iteration&)>& visit) {
  explore_stats st;
  switch (cfg.strategy.kind) {
    case strategy::kind_t::random:
      for (std::size_t i = 0; i < cfg.runs; ++i) {
        scheduler s({.seed = run_seed(cfg.seed, i), .trace = cfg.trace});
        iteration it = run_in(s, run);
        ++st.runs;
        if (!visit(i, it)) break;
      }
      break;
    case strategy::kind_t::pct: {
      // Run 0 is the FIFO schedule; it also measures k, the number of
      // decision points, which the change points are drawn from.
      std::size_t k = 1;
      for (std::size_t i = 0; i < cfg.runs; ++i) {
        std::optional<pct_chooser> c;
        if (i > 0) c.emplace(run_seed(cfg.seed, i), cfg.strategy.depth, k);
        scheduler s({.trace = cfg.trace}, c ? &*c : nullptr);
        iteration it = run_in(s, run);
        k = std::max(k, it.taken.size());
        ++st.runs;
        if (!visit(i, it)) break;
      }
      break;
    }
    case strategy::kind_t::exhaustive: {
      exhaustive_chooser c(cfg.strategy.preemption_bound);
      for (std::size_t i = 0; i < cfg.runs; ++i) {
        c.begin_run();
        iteration it;
        {
          scheduler s({.trace = cfg.trace}, &c);
          it = run_in(s, run);
        }
        ++st.runs;
        if (c.nondeterministic())
          throw error(error_kind::misuse,
                      "braid::sim: exhaustive exploration: replaying a schedule prefix met different choices; "
                      "the task is not deterministic under the scheduler (real time, real threads or global "
                      "state kept between runs?); make `make` build fresh state for every run");
        if (!visit(i, it)) break;
        if (!c.next()) {
          st.complete = true;
          break;
        }
      }
      break;
    }
  }
  return st;
}

iteration replay(const schedule& sched, const run_fn& run, bool trace) {
  scheduler s({.trace = trace, .micro_schedule = sched, .strict_schedule = false});
  return run_in(s, run);
}

void shrink(failure_info& f, const iteration& failing, const run_fn& run, std::size_t max_runs) {
  // Greedy, to a fixpoint: (1) the shortest failing prefix (FIFO after it),
  // (2) each non-FIFO decision made FIFO, else as small as still fails.
  // Every accepted candidate was replayed and failed the same way.
  schedule cur = failing.taken;
  drop_trailing_fifo(cur);
  iteration best = failing;
  std::size_t runs = 0;
  auto try_candidate = [&](const schedule& cand) {
    if (runs >= max_runs) return false;
    ++runs;
    iteration it = replay(cand, run, true);
    if (!same_failure(it, failing)) return false;
    best = std::move(it);
    cur = cand;
    drop_trailing_fifo(cur);
    return true;
  };
  // The failing schedule itself, to get its trace under replay (and to be
  // sure it reproduces).
  bool reproduces = try_candidate(cur);
  bool changed = reproduces;
  while (changed && runs < max_runs) {
    changed = false;
    for (std::size_t len = 0; len < cur.size() && !changed; ++len)
      changed = try_candidate(schedule(cur.begin(), cur.begin() + static_cast<std::ptrdiff_t>(len)));
    for (std::size_t i = 0; i < cur.size() && !changed; ++i) {
      if (cur[i].kind != decision::kind_t::nth || cur[i].n == 0) continue;
      for (std::uint64_t v = 0; v < cur[i].n && !changed; ++v) {
        schedule cand = cur;
        cand[i].n = v;
        changed = try_candidate(cand);
      }
    }
  }
  f.shrink_runs = runs;
  if (!reproduces) {
    f.message += " (the failure did not reproduce on replay: the task is not deterministic under the scheduler; "
                 "the schedule is not shrunk)";
    return;
  }
  f.shrunk = cur;
  f.shrunk_trace = best.trace;
}

}  // namespace detail

}  // namespace braid::sim
