// SPDX-License-Identifier: MIT
// W7 durable step latency: a run whose frame holds a payload of 100 B
// (W7a) or 4 KB (W7b) listens n times; each continue_run is one step
// through the SQLite store (load, decode, run, encode, one transaction with
// a synced commit). The baseline is what the store cannot go below: one raw
// SQLite INSERT of a blob of the same size and a COMMIT, same file system,
// same journal (WAL) and synchronous=FULL. Both report per-operation p50 and
// p99 in microseconds; the checksum is n (the run's result: each event adds 1).
// The store files go to $BRAID_BENCH_DIR, by default the executable's
// folder (a real disk, not a tmpfs, so that the syncs cost what they cost).
#include <braid/durable.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/harness.hpp"

#if defined(BENCH_HAVE_BRAIDC)
namespace bench_braidc {
braid::run<long> hold(std::string pad, int steps);  // bench/braidc/w7_durable.cpp
}
#endif

namespace {

// BRAID_DURABLE braid::run<long> hold(std::string pad, int steps) {
//   long sum = 0;
//   for (int i = 0; i < steps; ++i) sum += braid::listen<long>("next");
//   return sum + static_cast<long>(pad.size()) * 0;
// }
BRAID_DURABLE braid::run<long> hold(std::string pad, int steps) {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<long> {
    using __braid_step = ::braid::detail::step;
    ::std::string pad;
    int steps;
    union { long sum; };
    union { int i; };
    ::braid::detail::slot<long> __braid_slot_0;
    __braid_frame(const ::braid::durable::detail::durable_table& t, ::std::string pad, int steps)
        : ::braid::durable::detail::durable_frame<long>(t), pad(static_cast<::std::string&&>(pad)), steps(steps) {}
    ~__braid_frame() override {}
    __braid_step __braid_part_0() {
      ::new (::braid::detail::kept_storage(this->sum)) long(0);
      ::new (::braid::detail::kept_storage(this->i)) int(0);
      return __braid_step{1};
    }
    __braid_step __braid_part_1() {
      if (i < steps) {} else { return __braid_step{3}; }
      return this->::braid::durable::detail::durable_core::listen("next", 2, this->__braid_slot_0);
    }
    __braid_step __braid_part_2() {
      sum += this->__braid_slot_0.take();
      ++i;
      return __braid_step{1};
    }
    __braid_step __braid_part_3() {
      return this->::braid::durable::detail::durable_frame<long>::finish_with(sum + static_cast<long>(pad.size()) * 0);
    }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static __braid_step __braid_thunk_1(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_1(); }
    static __braid_step __braid_thunk_2(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_2(); }
    static __braid_step __braid_thunk_3(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_3(); }
    static void __braid_unwind(::braid::durable::detail::durable_core*, ::std::int32_t) noexcept {}
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      auto* self = static_cast<const __braid_frame*>(f);
      w.param("pad", self->pad);
      w.param("steps", self->steps);
      switch (self->state()) {
        case 2:
          w.local("sum", self->sum);
          w.local("i", self->i);
          break;
      }
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      auto* self = new __braid_frame(t, r.param<::std::string>("pad"), r.param<int>("steps"));
      ::braid::durable::detail::decode_guard g(self);
      switch (r.state()) {
        case 2:
          r.local("sum", self->sum);
          r.local("i", self->i);
          break;
      }
      g.release();
      return self;
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "hold(std::string, int)#0", "w7_durable.cpp", 28, 53, "", -1, 0x401d000000000000ull, nullptr},
          {&__braid_thunk_1, "hold(std::string, int)#1", "w7_durable.cpp", 30, 3, "sum, i", -1, 0x401d000000000001ull, nullptr},
          {&__braid_thunk_2, "hold(std::string, int)#2", "w7_durable.cpp", 30, 46, "sum, i", -1, 0x401d000000000002ull,
           &::braid::durable::detail::listen_site<__braid_frame, long, &__braid_frame::__braid_slot_0>},
          {&__braid_thunk_3, "hold(std::string, int)#3", "w7_durable.cpp", 31, 3, "sum", -1, 0x401d000000000003ull, nullptr},
      };
      static const ::braid::durable::detail::durable_table table = {
          "hold(std::string, int)", parts, 4, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, ::std::string, int>, 0x401d5167ull,
          &::braid::durable::codec<long>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, long>(pad, steps);
}

std::string g_dir;

std::string fresh(const std::string& name) {
  const std::string p = g_dir + "/" + name;
  for (const char* s : {"", "-wal", "-shm"}) std::remove((p + s).c_str());
  return p;
}

double percentile(std::vector<double> us, double q) {
  if (us.empty()) return 0;
  std::sort(us.begin(), us.end());
  return us[std::min(us.size() - 1, static_cast<std::size_t>(q * static_cast<double>(us.size())))];
}

using clock_type = std::chrono::steady_clock;
double micros(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

template <braid::run<long> (*Hold)(std::string, int)>
std::int64_t durable_steps(long n, std::size_t payload, bench::metrics& m) {
  const std::string path = fresh("w7_durable.db");
  std::int64_t result = 0;
  {
    braid::durable::sqlite_store s(path);
    const auto id = braid::durable::start_run(s, Hold(std::string(payload, 'p'), static_cast<int>(n)));
    m.set("frame_bytes", static_cast<double>(s.load(id)->stack.size()));
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(n));
    for (long k = 0; k < n; ++k) {
      const auto t0 = clock_type::now();
      braid::durable::continue_run(s, id, braid::durable::make_event("e" + std::to_string(k), "next", 1L));
      us.push_back(micros(t0, clock_type::now()));
    }
    const auto info = braid::durable::get_run(s, id);
    bench::check(info.status == braid::durable::run_status::complete, "the run did not complete");
    result = info.result_as<long>();
    m.set("p50_us", percentile(us, 0.5));
    m.set("p99_us", percentile(us, 0.99));
  }
  fresh("w7_durable.db");
  return result;
}

std::int64_t raw_inserts(long n, std::size_t payload, bench::metrics& m) {
  const std::string path = fresh("w7_raw.db");
  sqlite3* db = nullptr;
  bench::check(sqlite3_open(path.c_str(), &db) == SQLITE_OK, "cannot open %s", path.c_str());
  sqlite3_exec(db, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
  sqlite3_exec(db, "PRAGMA synchronous = FULL", nullptr, nullptr, nullptr);
  sqlite3_exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)", nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t (v) VALUES (?1)", -1, &ins, nullptr);
  const std::string blob(payload, 'p');
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(n));
  std::int64_t rows = 0;
  for (long k = 0; k < n; ++k) {
    const auto t0 = clock_type::now();
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    sqlite3_bind_blob(ins, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
    rows += sqlite3_step(ins) == SQLITE_DONE;
    sqlite3_reset(ins);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    us.push_back(micros(t0, clock_type::now()));
  }
  sqlite3_finalize(ins);
  sqlite3_close(db);
  fresh("w7_raw.db");
  m.set("p50_us", percentile(us, 0.5));
  m.set("p99_us", percentile(us, 0.99));
  return rows;
}

int run_suite(const char* id, std::size_t payload, const bench::options& o) {
  bench::suite s(id, "durable step (continue_run through SQLite), a " + std::to_string(payload) + " B frame", o);
  s.add("durable step (hand frame)", bench::side::braid,
        bench::suite::body([payload](long n, bench::metrics& m) { return durable_steps<&hold>(n, payload, m); }));
#if defined(BENCH_HAVE_BRAIDC)
  s.add("durable step (braidc)", bench::side::braid, bench::suite::body([payload](long n, bench::metrics& m) {
          return durable_steps<&bench_braidc::hold>(n, payload, m);
        }));
#endif
  s.add("sqlite insert+commit", bench::side::baseline,
        bench::suite::body([payload](long n, bench::metrics& m) { return raw_inserts(n, payload, m); }));
  s.expect(o.n);
  return s.finish();
}

}  // namespace

int main(int argc, char** argv) {
  const bench::options o = bench::parse(argc, argv, 300);
  if (const char* d = std::getenv("BRAID_BENCH_DIR")) {
    g_dir = d;
  } else {
    g_dir = argv[0];
    const auto slash = g_dir.rfind('/');
    g_dir = slash == std::string::npos ? "." : g_dir.substr(0, slash);
  }
  const int a = run_suite("W7a", 100, o);
  const int b = run_suite("W7b", 4096, o);
  return a | b;
}
