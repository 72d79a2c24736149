// SPDX-License-Identifier: MIT
// W8 load and faults: N worker processes against one store (SQLite, and
// PostgreSQL when braid::durable_pg is built), `runs` runs (10,000 by
// default) of a durable function that listens `listens` times (5). Worker
// w of N owns the runs i with i % N == w: it starts each (start_run with
// the key "w8-<i>", exactly once across retries) and delivers its events
// one after another (continue_run, event id "s<j>"), each call one step
// with its own commit. Every step's latency and (run, step) go to an
// external ledger, a file per worker process, written with one append
// after the call returned (so only after its commit is known).
//
// The fault variants kill a random worker with SIGKILL at random moments
// (seeded: --seed) and restart it; the restarted worker looks up, by key,
// the runs its predecessor may have left half done and goes on from where
// the store says they are. At the end the driver checks, for every run,
// from the store: complete, the result the sum of its events' values, its
// outputs exactly the running sums (one per step, none twice), exactly
// `listens` events; and from the ledgers: no (run, step) recorded twice.
//
// The workload: steps/s (all steps of all runs over the wall time from the
// first worker's start to the last one's exit) and p50/p99 step latency,
// per store and per N. The checksum is the sum of every run's result.
//
//   bench_w8_load [--n RUNS] [--listens L] [--workers 2,4] [--stores sqlite,pg]
//                 [--faults on|off|only] [--seed S] [--kill-ms MIN:MAX] [harness options]
//   --break-replay: restarted workers replay events already applied (a
//   broken worker, to check that the checks catch it: the run must fail)
//
// Store files and ledgers go to $BRAID_BENCH_DIR, by default the
// executable's folder; the PostgreSQL server is a throwaway one
// (tests/durable/pg_server.hpp; BRAID_PG_CONNINFO uses an existing server,
// a schema of its own per variant; BRAID_PG_SKIP=1 leaves PostgreSQL out).
#include <braid/durable.hpp>
#ifdef BENCH_HAVE_PG
#include <braid/durable/postgres_store.hpp>

#include "pg_server.hpp"
#endif

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/harness.hpp"

namespace {

// BRAID_DURABLE braid::run<long> w8_load(int run, int listens) {
//   long sum = 0;
//   for (int j = 0; j < listens; ++j) {
//     sum += braid::listen<long>("add");
//     braid::durable::output(sum);
//   }
//   return sum + run * 0;
// }
BRAID_DURABLE braid::run<long> w8_load(int run, int listens) {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<long> {
    using __braid_step = ::braid::detail::step;
    int run;
    int listens;
    union { long sum; };
    union { int j; };
    ::braid::detail::slot<long> __braid_slot_0;
    __braid_frame(const ::braid::durable::detail::durable_table& t, int run, int listens)
        : ::braid::durable::detail::durable_frame<long>(t), run(static_cast<int&&>(run)), listens(static_cast<int&&>(listens)) {}
    ~__braid_frame() override {}
    __braid_step __braid_part_0() {
      ::new (::braid::detail::kept_storage(this->sum)) long(0);
      ::new (::braid::detail::kept_storage(this->j)) int(0);
      return __braid_step{1};
    }
    __braid_step __braid_part_1() {
      if (j < listens) {} else { return __braid_step{3}; }
      return this->::braid::durable::detail::durable_core::listen("add", 2, this->__braid_slot_0);
    }
    __braid_step __braid_part_2() {
      sum += this->__braid_slot_0.take();
      braid::durable::output(sum);
      ++j;
      return __braid_step{1};
    }
    __braid_step __braid_part_3() {
      return this->::braid::durable::detail::durable_frame<long>::finish_with(sum + run * 0);
    }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static __braid_step __braid_thunk_1(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_1(); }
    static __braid_step __braid_thunk_2(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_2(); }
    static __braid_step __braid_thunk_3(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_3(); }
    static void __braid_unwind(::braid::durable::detail::durable_core*, ::std::int32_t) noexcept {}
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      auto* self = static_cast<const __braid_frame*>(f);
      w.param("run", self->run);
      w.param("listens", self->listens);
      switch (self->state()) {
        case 2:
          w.local("sum", self->sum);
          w.local("j", self->j);
          break;
      }
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      auto* self = new __braid_frame(t, r.param<int>("run"), r.param<int>("listens"));
      ::braid::durable::detail::decode_guard g(self);
      switch (r.state()) {
        case 2:
          r.local("sum", self->sum);
          r.local("j", self->j);
          break;
      }
      g.release();
      return self;
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "w8_load(int, int)#0", "w8_load.cpp", 64, 51, "", -1, 0x3e80000000000000ull, nullptr},
          {&__braid_thunk_1, "w8_load(int, int)#1", "w8_load.cpp", 66, 3, "sum, j", -1, 0x3e80000000000001ull, nullptr},
          {&__braid_thunk_2, "w8_load(int, int)#2", "w8_load.cpp", 67, 12, "sum, j", -1, 0x3e80000000000002ull,
           &::braid::durable::detail::listen_site<__braid_frame, long, &__braid_frame::__braid_slot_0>},
          {&__braid_thunk_3, "w8_load(int, int)#3", "w8_load.cpp", 70, 3, "sum", -1, 0x3e80000000000003ull, nullptr},
      };
      static const ::braid::durable::detail::durable_table table = {
          "w8_load(int, int)", parts, 4, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, int, int>, 0x3e805167ull,
          &::braid::durable::codec<long>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, long>(run, listens);
}

/// The value of run i's event j (1..11).
long value(long i, long j) { return (i * 31 + j * 7) % 11 + 1; }

using clock_type = std::chrono::steady_clock;

/// One ledger record: a step a worker saw committed, and how long it took.
struct ledger_entry {
  std::int32_t run;   // the run's index (its key is "w8-<run>")
  std::int32_t step;  // 0: the start; j + 1: the event j
  float us;
};

std::unique_ptr<braid::durable::store> open_store(const std::string& spec) {
#ifdef BENCH_HAVE_PG
  if (spec.rfind("pg:", 0) == 0) {
    const auto colon = spec.find(':', 3);
    braid::durable::postgres_options o;
    o.schema = spec.substr(3, colon - 3);
    return std::make_unique<braid::durable::postgres_store>(spec.substr(colon + 1), o);
  }
#endif
  return std::make_unique<braid::durable::sqlite_store>(spec.substr(spec.find(':') + 1));
}

// ---------------------------------------------------------------- the worker

// bench_w8_load --worker SPEC SLOT SLOTS RUNS LISTENS FROM LEDGER
//   FROM = -1: a first start (begins at run SLOT); otherwise a restart
//   after a kill: begins at run FROM, and looks the first two of its runs up
//   by key (its predecessor may have started them without recording it).
int worker_main(int argc, char** argv) {
  if (argc != 9) {
    std::fprintf(stderr, "w8 worker: expected 7 arguments\n");
    return 2;
  }
  const std::string spec = argv[2];
  const int slot = std::atoi(argv[3]);
  const int slots = std::atoi(argv[4]);
  const int runs = std::atoi(argv[5]);
  const int listens = std::atoi(argv[6]);
  const int from = std::atoi(argv[7]);
  const int fd = ::open(argv[8], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("w8 worker: the ledger");
    return 2;
  }
  // BENCH_W8_BREAK=1 (--break-replay, for the check of the checker): a
  // restarted worker trusts nothing and replays its first runs' events from
  // the first, under new event ids, so steps are applied twice; the driver
  // must then fail.
  const char* brk = std::getenv("BENCH_W8_BREAK");
  const bool replay = brk && !std::strcmp(brk, "1") && from >= 0;
  const std::string suffix = replay ? "-" + std::to_string(::getpid()) : std::string();
  try {
    auto st = open_store(spec);
    braid::durable::resume_runs(*st);  // due work left by a killed worker (none in this workload: no children)
    auto record = [&](int run, int step, clock_type::time_point t0) {
      const ledger_entry e{run, step, std::chrono::duration<float, std::micro>(clock_type::now() - t0).count()};
      if (::write(fd, &e, sizeof e) != static_cast<ssize_t>(sizeof e)) throw std::runtime_error("cannot write the ledger");
    };
    const int first = from >= 0 ? from : slot;
    for (int i = first; i < runs; i += slots) {
      const std::string key = "w8-" + std::to_string(i);
      std::optional<braid::durable::run_id> id;
      std::uint64_t step = 1;  // committed steps of the run
      if (from >= 0 && i < first + 2 * slots) {
        id = st->find_key(key);
        if (id) step = replay ? 1 : braid::durable::get_run(*st, *id).step;
      }
      if (!id) {
        const auto t0 = clock_type::now();
        braid::durable::start_options o;
        o.key = key;
        id = braid::durable::start_run(*st, w8_load(i, listens), o);
        record(i, 0, t0);
      }
      while (step <= static_cast<std::uint64_t>(listens)) {
        const long j = static_cast<long>(step) - 1;
        const auto t0 = clock_type::now();
        try {
          const auto r = braid::durable::continue_run(
              *st, *id, braid::durable::make_event("s" + std::to_string(j) + suffix, "add", value(i, j)));
          if (!r.duplicate) record(i, static_cast<int>(j + 1), t0);
          ++step;
        } catch (const braid::durable::error& e) {
          // Another process stepped the run (none should: the runs are
          // partitioned): go on from where the store says it is.
          if (replay && e.kind() == braid::durable::error_kind::not_waiting) break;
          if (e.kind() != braid::durable::error_kind::conflict) throw;
          step = braid::durable::get_run(*st, *id).step;
        }
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "w8 worker %d: %s\n", slot, e.what());
    return 1;
  }
  ::close(fd);
  return 0;
}

// ---------------------------------------------------------------- the driver

struct config {
  int listens = 5;
  std::vector<int> workers{2, 4};
  bool sqlite = true;
  bool pg = true;
  std::string faults = "on";  // on: the no-fault variants and one fault variant per store; off; only
  std::uint32_t seed = 1;
  int kill_min_ms = 50;
  int kill_max_ms = 250;
};

config g_cfg;
std::string g_dir;
std::string g_self;  // this executable

struct worker_proc {
  pid_t pid = -1;
  int incarnation = 0;
  bool done = false;
};

std::string ledger_path(const std::string& dir, int slot, int incarnation) {
  return dir + "/slot" + std::to_string(slot) + "-" + std::to_string(incarnation) + ".bin";
}

std::vector<ledger_entry> read_ledger(const std::string& path) {
  std::vector<ledger_entry> out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return out;
  ledger_entry e;
  while (std::fread(&e, sizeof e, 1, f) == 1) out.push_back(e);
  std::fclose(f);
  return out;
}

pid_t spawn_worker(const std::string& spec, int slot, int slots, long runs, int from, const std::string& ledger) {
  std::vector<std::string> args = {g_self,
                                   "--worker",
                                   spec,
                                   std::to_string(slot),
                                   std::to_string(slots),
                                   std::to_string(runs),
                                   std::to_string(g_cfg.listens),
                                   std::to_string(from),
                                   ledger};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(124);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  bench::check(pid > 0, "fork failed");
  return pid;
}

/// Runs one variant: N workers over `runs` runs, with or without kills;
/// checks the store and the ledgers; returns the sum of the results.
std::int64_t drive(const std::string& spec, braid::durable::store& verify_store, const std::string& tag, int n,
                   bool faults, long runs, bench::metrics& m) {
  const std::string ledgers = g_dir + "/w8_" + tag + "-ledgers";
  std::error_code ec;
  std::filesystem::remove_all(ledgers, ec);
  std::filesystem::create_directories(ledgers);

  std::vector<worker_proc> w(static_cast<std::size_t>(n));
  const auto t_start = clock_type::now();
  for (int s = 0; s < n; ++s)
    w[static_cast<std::size_t>(s)].pid = spawn_worker(spec, s, n, runs, -1, ledger_path(ledgers, s, 0));

  std::mt19937 rng(g_cfg.seed * 7919u + static_cast<std::uint32_t>(n) * 31u + (faults ? 1u : 0u));
  auto next_delay = [&] {
    return std::chrono::milliseconds(std::uniform_int_distribution<int>(g_cfg.kill_min_ms, g_cfg.kill_max_ms)(rng));
  };
  auto next_kill = clock_type::now() + next_delay();
  int kills = 0;
  std::string failure;
  auto live = [&] {
    std::vector<int> l;
    for (int s = 0; s < n; ++s)
      if (!w[static_cast<std::size_t>(s)].done) l.push_back(s);
    return l;
  };
  auto restart = [&](int s) {
    worker_proc& p = w[static_cast<std::size_t>(s)];
    // Where its predecessors got to: the highest run index they recorded
    // (a worker does its runs in order, each to its end).
    int from = s;
    for (int k = 0; k <= p.incarnation; ++k)
      for (const auto& e : read_ledger(ledger_path(ledgers, s, k))) from = std::max(from, static_cast<int>(e.run));
    ++p.incarnation;
    p.pid = spawn_worker(spec, s, n, runs, from, ledger_path(ledgers, s, p.incarnation));
  };
  while (!live().empty() && failure.empty()) {
    int st = 0;
    const pid_t pid = ::waitpid(-1, &st, WNOHANG);
    if (pid > 0) {
      for (int s = 0; s < n; ++s) {
        worker_proc& p = w[static_cast<std::size_t>(s)];
        if (p.pid != pid) continue;
        p.pid = -1;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
          p.done = true;
        else
          failure = "worker " + std::to_string(s) + " ended with " +
                    (WIFEXITED(st) ? "exit code " + std::to_string(WEXITSTATUS(st))
                                   : "signal " + std::to_string(WTERMSIG(st)));
      }
      continue;
    }
    if (faults && clock_type::now() >= next_kill) {
      const auto l = live();
      const int s = l[std::uniform_int_distribution<std::size_t>(0, l.size() - 1)(rng)];
      worker_proc& p = w[static_cast<std::size_t>(s)];
      ::kill(p.pid, SIGKILL);
      int ks = 0;
      ::waitpid(p.pid, &ks, 0);
      if (WIFEXITED(ks) && WEXITSTATUS(ks) == 0) {
        p.done = true;  // it had finished just before the signal
      } else {
        ++kills;
        restart(s);
      }
      next_kill = clock_type::now() + next_delay();
      continue;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  const double wall_s = std::chrono::duration<double>(clock_type::now() - t_start).count();
  for (auto& p : w)
    if (p.pid > 0) {
      ::kill(p.pid, SIGKILL);
      ::waitpid(p.pid, nullptr, 0);
    }
  bench::check(failure.empty(), "%s", failure.c_str());

  // The store: every run complete, with the right result, outputs and events.
  const int listens = g_cfg.listens;
  braid::durable::run_query q;
  q.function = "w8_load(int, int)";
  const auto all = braid::durable::find_runs(verify_store, q);
  bench::check(static_cast<long>(all.size()) == runs, "%zu runs in the store, expected %ld", all.size(), runs);
  std::vector<char> seen(static_cast<std::size_t>(runs), 0);
  std::int64_t checksum = 0;
  for (const auto& info : all) {
    bench::check(info.key.rfind("w8-", 0) == 0, "run %s has the key '%s'", braid::durable::to_string(info.id).c_str(),
                 info.key.c_str());
    const long i = std::strtol(info.key.c_str() + 3, nullptr, 10);
    bench::check(i >= 0 && i < runs && !seen[static_cast<std::size_t>(i)], "key %s twice or out of range",
                 info.key.c_str());
    seen[static_cast<std::size_t>(i)] = 1;
    bench::check(info.status == braid::durable::run_status::complete, "run %ld did not complete (status %s)", i,
                 std::string(braid::durable::to_string(info.status)).c_str());
    bench::check(info.step == static_cast<std::uint64_t>(listens) + 1, "run %ld has %llu steps, expected %d", i,
                 static_cast<unsigned long long>(info.step), listens + 1);
    const auto outs = braid::durable::get_outputs(verify_store, info.id);
    bench::check(outs.size() == static_cast<std::size_t>(listens), "run %ld has %zu outputs, expected %d", i,
                 outs.size(), listens);
    long sum = 0;
    for (int j = 0; j < listens; ++j) {
      sum += value(i, j);
      const long got = braid::durable::decode<long>(outs[static_cast<std::size_t>(j)].value);
      bench::check(got == sum && outs[static_cast<std::size_t>(j)].step == static_cast<std::uint64_t>(j) + 2,
                   "run %ld: output %d is %ld (step %llu), expected %ld (step %d)", i, j + 1, got,
                   static_cast<unsigned long long>(outs[static_cast<std::size_t>(j)].step), sum, j + 2);
    }
    const long result = info.result_as<long>();
    bench::check(result == sum, "run %ld: result %ld, expected %ld (the sum of its events)", i, result, sum);
    const auto evs = braid::durable::get_events(verify_store, info.id);
    bench::check(evs.size() == static_cast<std::size_t>(listens), "run %ld received %zu events, expected %d", i,
                 evs.size(), listens);
    checksum += result;
  }

  // The ledgers: no step recorded twice; latencies.
  std::set<std::pair<std::int32_t, std::int32_t>> steps;
  std::vector<float> us;
  for (int s = 0; s < n; ++s)
    for (int k = 0; k <= w[static_cast<std::size_t>(s)].incarnation; ++k)
      for (const auto& e : read_ledger(ledger_path(ledgers, s, k))) {
        bench::check(steps.insert({e.run, e.step}).second, "run %d's step %d was recorded twice", e.run, e.step);
        us.push_back(e.us);
      }
  const long total = runs * (listens + 1);
  bench::check(static_cast<long>(us.size()) <= total, "%zu steps recorded, at most %ld exist", us.size(), total);
  if (!faults)
    bench::check(static_cast<long>(us.size()) == total, "%zu steps recorded, expected %ld", us.size(), total);
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    return us.empty() ? 0.0 : static_cast<double>(us[std::min(us.size() - 1, static_cast<std::size_t>(p * static_cast<double>(us.size())))]);
  };
  m.set("workers", n);
  m.set("steps", static_cast<double>(total));
  m.set("steps_per_s", static_cast<double>(total) / wall_s);
  m.set("p50_us", pct(0.5));
  m.set("p99_us", pct(0.99));
  if (faults) {
    m.set("kills", kills);
    m.set("unrecorded_steps", static_cast<double>(total - static_cast<long>(us.size())));  // committed, worker killed before its ledger write
  }
  std::filesystem::remove_all(ledgers, ec);
  return checksum;
}

std::int64_t sqlite_variant(int n, bool faults, long runs, bench::metrics& m) {
  const std::string tag = "sqlite" + std::to_string(n) + (faults ? "k" : "");
  const std::string path = g_dir + "/w8_" + tag + ".db";
  for (const char* s : {"", "-wal", "-shm"}) std::remove((path + s).c_str());
  std::int64_t c = 0;
  {
    braid::durable::sqlite_store st(path);  // created here, before the workers open it
    c = drive("sqlite:" + path, st, tag, n, faults, runs, m);
  }
  for (const char* s : {"", "-wal", "-shm"}) std::remove((path + s).c_str());
  return c;
}

#ifdef BENCH_HAVE_PG
bool g_pg_started = false;

std::int64_t pg_variant(int n, bool faults, long runs, bench::metrics& m) {
  if (!g_pg_started) {
    durable_test::pg::start("w8");  // throws with the reason
    g_pg_started = true;
  }
  const std::string tag = "pg" + std::to_string(n) + (faults ? "k" : "");
  const std::string schema = "w8_" + std::to_string(::getpid()) + "_" + tag;
  auto drop = [&] { durable_test::pg::run_admin(durable_test::pg::state().admin, "DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE"); };
  drop();
  std::int64_t c = 0;
  {
    braid::durable::postgres_options o;
    o.schema = schema;
    braid::durable::postgres_store st(durable_test::pg::conninfo(), o);
    c = drive("pg:" + schema + ":" + durable_test::pg::conninfo(), st, tag, n, faults, runs, m);
  }
  drop();
  return c;
}
#endif

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "bench_w8_load: %s\nusage: bench_w8_load [--n RUNS] [--listens L] [--workers 2,4] [--stores sqlite,pg] "
               "[--faults on|off|only] [--seed S] [--kill-ms MIN:MAX] [--reps R] [--warmup W] [--quick] [--only S] "
               "[--json F] [--table F] [--list]\n",
               why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && !std::strcmp(argv[1], "--worker")) return worker_main(argc, argv);

  // W8's own options; the rest go to the harness.
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    if (a == "--listens") {
      g_cfg.listens = std::atoi(value().c_str());
      if (g_cfg.listens < 1) usage("--listens must be at least 1");
    } else if (a == "--workers") {
      g_cfg.workers.clear();
      const std::string v = value();
      for (std::size_t p = 0; p < v.size();) {
        const std::size_t c = v.find(',', p);
        const int k = std::atoi(v.substr(p, c - p).c_str());
        if (k < 1) usage("--workers: a list of counts of at least 1");
        g_cfg.workers.push_back(k);
        p = c == std::string::npos ? v.size() : c + 1;
      }
    } else if (a == "--stores") {
      const std::string v = "," + value() + ",";
      g_cfg.sqlite = v.find(",sqlite,") != std::string::npos;
      g_cfg.pg = v.find(",pg,") != std::string::npos;
      if (!g_cfg.sqlite && !g_cfg.pg) usage("--stores: sqlite, pg or both");
    } else if (a == "--faults") {
      g_cfg.faults = value();
      if (g_cfg.faults != "on" && g_cfg.faults != "off" && g_cfg.faults != "only") usage("--faults: on, off or only");
    } else if (a == "--seed") {
      g_cfg.seed = static_cast<std::uint32_t>(std::strtoul(value().c_str(), nullptr, 10));
    } else if (a == "--break-replay") {
      ::setenv("BENCH_W8_BREAK", "1", 1);  // the workers inherit it
    } else if (a == "--kill-ms") {
      const std::string v = value();
      if (std::sscanf(v.c_str(), "%d:%d", &g_cfg.kill_min_ms, &g_cfg.kill_max_ms) != 2 || g_cfg.kill_min_ms < 1 ||
          g_cfg.kill_max_ms < g_cfg.kill_min_ms)
        usage("--kill-ms MIN:MAX, milliseconds between kills");
    } else {
      rest.push_back(argv[i]);
    }
  }
  bench::options o = bench::parse(static_cast<int>(rest.size()), rest.data(), 10000);
  // One run of a variant is the whole load (60,000 steps by default): W8
  // runs each variant once, without a warm-up, whatever --reps says.
  o.reps = 1;
  o.warmup = 0;

  char self[4096];
  const ssize_t len = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) usage("cannot read /proc/self/exe");
  g_self.assign(self, static_cast<std::size_t>(len));
  if (const char* d = std::getenv("BRAID_BENCH_DIR")) {
    g_dir = d;
  } else {
    g_dir = g_self.substr(0, g_self.rfind('/'));
  }

  const int max_n = *std::max_element(g_cfg.workers.begin(), g_cfg.workers.end());
  const long runs = o.n;
  bench::suite s("W8",
                 "load and faults: N worker processes, " + std::to_string(runs) + " runs of " +
                     std::to_string(g_cfg.listens) + " listens (ns/op per run; steps/s, p50/p99 per step)",
                 o);
  auto add = [&](const std::string& store, auto fn) {
    if (g_cfg.faults != "only")
      for (int n : g_cfg.workers)
        s.add(store + " N=" + std::to_string(n), bench::side::braid,
              bench::suite::body([fn, n](long r, bench::metrics& m) { return fn(n, false, r, m); }));
    if (g_cfg.faults != "off")
      s.add(store + " N=" + std::to_string(max_n) + " kills", bench::side::braid,
            bench::suite::body([fn, max_n](long r, bench::metrics& m) { return fn(max_n, true, r, m); }));
  };
  if (g_cfg.sqlite) add("sqlite", &sqlite_variant);
#ifdef BENCH_HAVE_PG
  const char* skip = std::getenv("BRAID_PG_SKIP");
  if (g_cfg.pg && skip && !std::strcmp(skip, "1"))
    std::printf("W8: BRAID_PG_SKIP=1: the PostgreSQL variants do not run\n");
  else if (g_cfg.pg)
    add("postgresql", &pg_variant);
#else
  if (g_cfg.pg) std::printf("W8: braid::durable_pg is not in this build (no libpq): the PostgreSQL variants do not run\n");
#endif
  std::int64_t expected = 0;
  for (long i = 0; i < runs; ++i)
    for (long j = 0; j < g_cfg.listens; ++j) expected += value(i, j);
  s.expect(expected);
  const int rc = s.finish();
#ifdef BENCH_HAVE_PG
  if (g_pg_started) durable_test::pg::stop(rc != 0);
#endif
  return rc;
}
