// SPDX-License-Identifier: MIT
// A worker process for the two-process, version and crash tests: runs one
// durable operation on a store (or the crash harness's whole workload) and
// prints what happened. Built twice: with the flows as they are, and with
// BRAID_FLOWS_V2 (survey's stored partition changed).
//
//   worker start STORE FUNCTION ARGS... [--key KEY]   prints "run ID"
//       FUNCTION: survey USER | tally ID STEPS | order ITEM... | guarded NAME 0|1
//   worker continue STORE ID EVENT CONTEXT VALUE     VALUE in diagnostic notation;
//                                                    prints "continued STATUS" or "duplicate STATUS"
//   worker cancel STORE ID [kill]                    prints "cancelled STATUS"
//   worker resume STORE                              prints "resumed N"
//   worker plan STORE LEDGER FIRST COUNT             the crash harness's workload (see plan())
//   worker start STORE inbox NAME                    (the registry tests' flow)
//   worker publish STORE TOPIC VALUE                 prints "published N" (no delivery)
//   worker deliver STORE                             deliver_messages with continue_dispatch; prints the counts
//   worker fire STORE NOW_MS                         fire_timers at NOW_MS with continue_dispatch; prints the counts
//   worker put STORE PENDING_ID NAME                 put_pending of inbox(NAME); prints "put"
//   worker pop STORE PENDING_ID                      pop_pending; prints "popped ID" or "nothing"
//
//   worker wait STORE TIMEOUT_MS                     (PostgreSQL) listens, stops itself (SIGSTOP) so that
//                                                    the test knows it listens, then waits for work
//                                                    (wait_for_work); prints "woken K..." or "timed out",
//                                                    then runs resume_runs and prints "resumed N"
//
// STORE: a SQLite file, or (the build with BRAID_WORKER_PG) pg:SCHEMA:CONNINFO,
// a postgres_store of that schema.
//
// A durable error prints "error KIND: MESSAGE" and exits 2.
//
// BRAID_DURABLE_LOG_STEPS=1: every step this process runs in memory prints
// "step ID" when it is about to be written (before_write): what the claims
// tests count.
//
// BRAID_DURABLE_STOP_AT=POINT[:N] (POINT: before_write, in_transaction,
// after_commit): at the N-th step that reaches POINT the worker stops
// itself (SIGSTOP), so that the test or the crash driver can continue it
// (SIGCONT) or kill it (SIGKILL) right there. In `plan`, the stop is first
// recorded in the ledger.
#include "flows.hpp"

#include <braid/durable.hpp>
#ifdef BRAID_WORKER_PG
#include <braid/durable/postgres_store.hpp>
#endif

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace braid::durable;

namespace {

// ---- the stop point --------------------------------------------------------

int g_stop_point = -1;  // a step_point, or -1
long g_stop_at = 1;
long g_hits = 0;
int g_ledger = -1;        // plan: the ledger's file descriptor
run_id g_target{};        // plan: the run the current operation is for (0: learn it at the first step)
bool g_in_operation = false;

const char* point_name(step_point p) {
  switch (p) {
    case step_point::before_write: return "before_write";
    case step_point::in_transaction: return "in_transaction";
    case step_point::after_commit: return "after_commit";
  }
  return "?";
}

/// One line, appended and synced: the ledger is what survives a SIGKILL.
void ledger_append(const std::string& line) {
  const std::string l = line + "\n";
  if (::write(g_ledger, l.data(), l.size()) != static_cast<ssize_t>(l.size()) || ::fsync(g_ledger) != 0) {
    std::perror("worker: writing the ledger");
    std::_Exit(4);
  }
}

bool g_log_steps = false;

void stop_hook(step_point p, run_id id) {
  if (g_log_steps && p == step_point::before_write) {
    std::printf("step %s\n", to_string(id).c_str());
    std::fflush(stdout);
  }
  if (g_in_operation && g_target == run_id{}) g_target = id;  // a start: its first step is the root's
  if (static_cast<int>(p) != g_stop_point || ++g_hits != g_stop_at) return;
  if (g_ledger >= 0) {
    const char* where = !g_in_operation ? "resume" : id == g_target ? "target" : "follow-up";
    ledger_append(std::string("kill ") + point_name(p) + " " + to_string(id) + " " + where);
  }
  std::fflush(stdout);
  ::raise(SIGSTOP);  // the driver kills us here, or lets us go on
}

void install_stop_hook() {
  const char* log = std::getenv("BRAID_DURABLE_LOG_STEPS");
  g_log_steps = log && std::string(log) == "1";
  if (g_log_steps) testing::set_step_hook(&stop_hook);
  const char* env = std::getenv("BRAID_DURABLE_STOP_AT");
  if (!env || !*env) return;
  std::string s = env;
  const auto colon = s.find(':');
  if (colon != std::string::npos) {
    g_stop_at = std::stol(s.substr(colon + 1));
    s = s.substr(0, colon);
  }
  for (step_point p : {step_point::before_write, step_point::in_transaction, step_point::after_commit})
    if (s == point_name(p)) g_stop_point = static_cast<int>(p);
  if (g_stop_point < 0) {
    std::cerr << "worker: BRAID_DURABLE_STOP_AT=" << env << " names no step point\n";
    std::exit(64);
  }
  testing::set_step_hook(&stop_hook);
}

// ---- the crash harness's workload -------------------------------------------

/// The value of event j (1-based) of tally run r: any fixed function will do.
long value_of(int r, int j) { return (r * 7919L + j * 104729L) % 1000 + 1; }

constexpr int tally_steps = 3;

struct ledger_state {
  std::map<int, run_id> started;
  std::set<std::pair<int, int>> acked;
};

ledger_state read_ledger(const std::string& path) {
  ledger_state st;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string what;
    ls >> what;
    if (what == "started") {
      int r;
      std::int64_t id;
      ls >> r >> id;
      st.started[r] = run_id(id);
    } else if (what == "acked") {
      int r, j;
      ls >> r >> j;
      st.acked.insert({r, j});
    }
  }
  return st;
}

/// Runs FIRST..FIRST+COUNT-1 to their end, skipping what the ledger says
/// was acknowledged: the way a message queue redelivers what a consumer did
/// not acknowledge. Run r is a tally (r % 3 != 2: 3 events on "add") or an
/// order of two items whose children get one approval each (the second
/// refused when r is odd). Each acknowledgement is a ledger line written
/// after the operation returned: "started R ID new|existing",
/// "acked R J continued|duplicate".
int plan(store& s, const std::string& ledger_path, int first, int count) {
  g_ledger = ::open(ledger_path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (g_ledger < 0) {
    std::perror("worker: opening the ledger");
    return 4;
  }
  // A previous worker may have died after a commit, before the steps it
  // made due.
  resume_runs(s);
  ledger_state st = read_ledger(ledger_path);
  for (int r = first; r < first + count; ++r) {
    const bool is_order = r % 3 == 2;
    const std::string key = "run-" + std::to_string(r);
    if (!st.started.count(r)) {
      const bool existed = s.find_key(key).has_value();
      g_in_operation = true;
      g_target = run_id{};
      const run_id id = is_order ? start_run(s, flows::order({"a" + std::to_string(r), "bb" + std::to_string(r)}), {key})
                                 : start_run(s, flows::tally(r, tally_steps), {key});
      g_in_operation = false;
      ledger_append("started " + std::to_string(r) + " " + to_string(id) + (existed ? " existing" : " new"));
      st.started[r] = id;
    }
    const run_id id = st.started[r];
    const int events = is_order ? 2 : tally_steps;
    for (int j = 1; j <= events; ++j) {
      if (st.acked.count({r, j})) continue;
      run_id target = id;
      event e;
      if (is_order) {
        const auto kids = get_run(s, id).children;
        if (kids.size() != 2) {
          std::cerr << "worker: order run " << to_string(id) << " has " << kids.size() << " children\n";
          return 5;
        }
        target = kids[j - 1];
        const std::string item = (j == 1 ? "a" : "bb") + std::to_string(r);
        e = make_event("c" + std::to_string(r) + "-" + std::to_string(j), "approve:" + item, j == 1 || r % 2 == 0);
      } else {
        e = make_event("e" + std::to_string(r) + "-" + std::to_string(j), "add", value_of(r, j));
      }
      g_in_operation = true;
      g_target = target;
      const continue_result res = continue_run(s, target, e);
      g_in_operation = false;
      ledger_append("acked " + std::to_string(r) + " " + std::to_string(j) + (res.duplicate ? " duplicate" : " continued"));
    }
  }
  return 0;
}

// ---- single operations --------------------------------------------------------

int usage() {
  std::cerr << "usage: worker start|continue|cancel|resume|plan STORE ... (see worker.cpp)\n";
  return 64;
}

std::unique_ptr<store> open_store(const std::string& spec) {
#ifdef BRAID_WORKER_PG
  if (spec.rfind("pg:", 0) == 0) {
    const auto colon = spec.find(':', 3);
    if (colon == std::string::npos) throw std::invalid_argument("worker: STORE pg:SCHEMA:CONNINFO lacks the CONNINFO");
    postgres_options o;
    o.schema = spec.substr(3, colon - 3);
    return std::make_unique<postgres_store>(spec.substr(colon + 1), o);
  }
#endif
  return std::make_unique<sqlite_store>(spec);
}

int run(int argc, char** argv) {
  if (argc < 3) return usage();
  const std::string cmd = argv[1];
  const std::unique_ptr<store> opened = open_store(argv[2]);
  store& s = *opened;
  if (cmd == "start" && argc >= 4) {
    std::vector<std::string> a(argv + 3, argv + argc);
    start_options o;
    if (a.size() >= 2 && a[a.size() - 2] == "--key") {
      o.key = a.back();
      a.resize(a.size() - 2);
    }
    run_id id{};
    if (a[0] == "survey" && a.size() == 2)
      id = start_run(s, flows::survey(a[1]), o);
    else if (a[0] == "tally" && a.size() == 3)
      id = start_run(s, flows::tally(std::stoi(a[1]), std::stoi(a[2])), o);
    else if (a[0] == "order")
      id = start_run(s, flows::order(std::vector<std::string>(a.begin() + 1, a.end())), o);
    else if (a[0] == "inbox" && a.size() == 2)
      id = start_run(s, flows::inbox(a[1]), o);
    else if (a[0] == "guarded" && a.size() == 3)
      id = start_run(s, flows::guarded(a[1], a[2] == "1"), o);
    else
      return usage();
    std::cout << "run " << to_string(id) << "\n";
    return 0;
  }
  if (cmd == "continue" && argc == 7) {
    const continue_result r = continue_run(s, run_id(std::stoll(argv[3])), event{argv[4], argv[5], from_diagnostic(argv[6])});
    std::cout << (r.duplicate ? "duplicate " : "continued ") << to_string(r.status) << "\n";
    return 0;
  }
  if (cmd == "cancel" && (argc == 4 || argc == 5)) {
    const run_status st =
        cancel_run(s, run_id(std::stoll(argv[3])), argc == 5 && std::string(argv[4]) == "kill" ? cancel_mode::kill
                                                                                                : cancel_mode::unwind);
    std::cout << "cancelled " << to_string(st) << "\n";
    return 0;
  }
  if (cmd == "resume" && argc == 3) {
    const std::size_t n = resume_runs(s);  // (its steps may print)
    std::cout << "resumed " << n << "\n";
    return 0;
  }
  if (cmd == "plan" && argc == 6) return plan(s, argv[3], std::atoi(argv[4]), std::atoi(argv[5]));
  // The registries (tests/durable/registries_test.cpp).
  const auto counts = [](const char* what, const delivery_counts& c) {
    std::cout << what << " delivered=" << c.delivered << " duplicate=" << c.duplicate << " dropped=" << c.dropped
              << " kept=" << c.kept << "\n";
  };
  if (cmd == "publish" && argc == 5) {
    std::cout << "published " << publish_encoded(s, argv[3], from_diagnostic(argv[4])) << "\n";
    return 0;
  }
  if (cmd == "deliver" && argc == 3) {
    install_dispatch(continue_dispatch);
    counts("delivered", deliver_messages(s));
    return 0;
  }
  if (cmd == "fire" && argc == 4) {
    install_dispatch(continue_dispatch);
    counts("fired", fire_timers(s, time_point(std::chrono::milliseconds(std::stoll(argv[3])))));
    return 0;
  }
  if (cmd == "put" && argc == 5) {
    put_pending(s, argv[3], flows::inbox(argv[4]));
    std::cout << "put\n";
    return 0;
  }
#ifdef BRAID_WORKER_PG
  if (cmd == "wait" && argc == 4) {
    auto* pg = dynamic_cast<postgres_store*>(&s);
    if (!pg) return usage();
    pg->listen();
    std::fflush(stdout);
    ::raise(SIGSTOP);  // the test continues us once it knows we listen
    const work_notice w = pg->wait_for_work(std::chrono::milliseconds(std::stoll(argv[3])));
    if (w)
      std::cout << "woken" << (w.runnable ? " runnable" : "") << (w.timers ? " timers" : "")
                << (w.messages ? " messages" : "") << "\n";
    else
      std::cout << "timed out\n";
    const std::size_t n = resume_runs(s);
    std::cout << "resumed " << n << "\n";
    return 0;
  }
#endif
  if (cmd == "pop" && argc == 4) {
    const auto id = pop_pending(s, argv[3]);
    std::cout << (id ? "popped " + to_string(*id) : std::string("nothing")) << "\n";
    return 0;
  }
  return usage();
}

}  // namespace

int main(int argc, char** argv) {
  install_stop_hook();
  try {
    return run(argc, argv);
  } catch (const error& e) {
    std::cout << "error " << to_string(e.kind()) << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cout << "error: " << e.what() << "\n";
    return 3;
  }
}
