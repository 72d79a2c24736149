// SPDX-License-Identifier: MIT
// The crash harness (docs/durable.md "The crash harness"): runs the worker's
// `plan` workload over seeded scenarios, stops the worker at an
// instrumented point of a step (before the write, inside the transaction,
// after the commit before the acknowledgement) and kills it there with
// SIGKILL, restarts it until the workload is done, then checks the store
// against the worker's ledger (a file written outside the step
// transactions): every run started once, every acknowledged step stored,
// every run's final state exactly what one delivery of each event gives (no
// step lost, none applied twice), and exactly one redelivery found
// duplicate per kill that came after a commit.
//
//   crash_driver WORKER DIR [--seeds N] [--runs R] [--first-seed S]
#include <braid/durable.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace braid::durable;

namespace {

// What the worker's plan() does (keep in step with worker.cpp).
constexpr int tally_steps = 3;
long value_of(int r, int j) { return (r * 7919L + j * 104729L) % 1000 + 1; }
bool is_order(int r) { return r % 3 == 2; }

const char* points[] = {"before_write", "in_transaction", "after_commit"};

int failures = 0;

void check(bool ok, int seed, const std::string& what) {
  if (ok) return;
  ++failures;
  std::cerr << "crash harness: seed " << seed << ": " << what << "\n";
}

struct ledger {
  std::map<int, std::vector<std::pair<run_id, std::string>>> started;  // r -> (id, new|existing)
  std::map<std::pair<int, int>, std::vector<std::string>> acked;        // (r, j) -> continued|duplicate
  struct kill_line {
    std::string point;
    run_id run;
    std::string where;  // target, follow-up, resume
  };
  std::vector<kill_line> kills;
};

ledger read_ledger(const std::string& path) {
  ledger l;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string what;
    ls >> what;
    if (what == "started") {
      int r;
      std::int64_t id;
      std::string how;
      ls >> r >> id >> how;
      l.started[r].push_back({run_id(id), how});
    } else if (what == "acked") {
      int r, j;
      std::string how;
      ls >> r >> j >> how;
      l.acked[{r, j}].push_back(how);
    } else if (what == "kill") {
      ledger::kill_line k;
      std::int64_t id;
      ls >> k.point >> id >> k.where;
      k.run = run_id(id);
      l.kills.push_back(k);
    }
  }
  return l;
}

struct totals {
  int runs = 0, tallies = 0, orders = 0, kills = 0, duplicates = 0, restarts = 0;
  std::map<std::string, int> kills_at;
};

/// Runs the worker until it exits; SIGKILLs it whenever it stops itself.
/// Returns false (and says why) if it failed otherwise.
bool run_scenario(const std::string& worker, const std::string& store, const std::string& ledger_path, int seed,
                  int first_run, int runs, totals& t) {
  std::mt19937 rng(static_cast<unsigned>(seed) * 2654435761u + 1);
  // The first kill walks the matrix: every point, at its 1st..12th
  // occurrence; the others are random.
  std::vector<std::string> schedule;
  schedule.push_back(std::string(points[seed % 3]) + ":" + std::to_string(1 + (seed / 3) % 12));
  const int more = static_cast<int>(rng() % 3);
  for (int i = 0; i < more; ++i) schedule.push_back(std::string(points[rng() % 3]) + ":" + std::to_string(1 + rng() % 10));
  for (std::size_t attempt = 0; attempt < schedule.size() + 1; ++attempt) {
    const std::string stop = attempt < schedule.size() ? "BRAID_DURABLE_STOP_AT=" + schedule[attempt] : "";
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (!stop.empty()) ::putenv(const_cast<char*>(stop.c_str()));
      const std::string first = std::to_string(first_run), count = std::to_string(runs);
      ::execl(worker.c_str(), worker.c_str(), "plan", store.c_str(), ledger_path.c_str(), first.c_str(), count.c_str(),
              static_cast<char*>(nullptr));
      std::_Exit(127);
    }
    int st = 0;
    ::waitpid(pid, &st, WUNTRACED);
    if (WIFSTOPPED(st)) {
      ::kill(pid, SIGKILL);  // right at the step point it stopped at
      ::waitpid(pid, &st, 0);
      ++t.restarts;
      continue;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return true;
    std::cerr << "crash harness: seed " << seed << ": the worker "
              << (WIFEXITED(st) ? "exited with " + std::to_string(WEXITSTATUS(st))
                                : "died of signal " + std::to_string(WTERMSIG(st)))
              << " (its output is above)\n";
    ++failures;
    return false;
  }
  std::cerr << "crash harness: seed " << seed << ": the worker was still not done after every scheduled kill\n";
  ++failures;
  return false;
}

void verify(const std::string& store_path, const std::string& ledger_path, int seed, int first_run, int runs,
            totals& t) {
  const ledger l = read_ledger(ledger_path);
  sqlite_store s(store_path, {.create = false});
  int expected_runs = 0;
  for (int r = first_run; r < first_run + runs; ++r) {
    const std::string rs = "run " + std::to_string(r);
    ++t.runs;
    expected_runs += is_order(r) ? 3 : 1;
    auto st = l.started.find(r);
    check(st != l.started.end() && st->second.size() == 1, seed, rs + ": not started exactly once in the ledger");
    if (st == l.started.end()) continue;
    const run_id id = st->second[0].first;
    const run_info info = get_run(s, id);
    check(info.key == "run-" + std::to_string(r), seed, rs + ": the run has key '" + info.key + "'");
    check(info.status == run_status::complete, seed, rs + ": status " + std::string(to_string(info.status)));
    if (info.status != run_status::complete) continue;
    const int events = is_order(r) ? 2 : tally_steps;
    for (int j = 1; j <= events; ++j) {
      auto a = l.acked.find({r, j});
      check(a != l.acked.end() && a->second.size() == 1, seed,
            rs + ": event " + std::to_string(j) + " not acknowledged exactly once");
    }
    if (!is_order(r)) {
      ++t.tallies;
      long sum = 0;
      std::vector<long> partial;
      for (int j = 1; j <= tally_steps; ++j) partial.push_back(sum += value_of(r, j) * j);
      check(info.result_as<long>() == sum, seed, rs + ": result " + std::to_string(info.result_as<long>()) +
                                                     ", expected " + std::to_string(sum));
      check(info.step == 1 + tally_steps, seed, rs + ": " + std::to_string(info.step) + " steps committed");
      std::vector<long> got;
      std::vector<std::uint64_t> seqs;
      for (const auto& o : get_outputs(s, id)) {
        got.push_back(decode<long>(o.value));
        seqs.push_back(o.seq);
      }
      check(got == partial, seed, rs + ": its outputs are not one per step, in order");
      check(seqs == std::vector<std::uint64_t>{1, 2, 3}, seed, rs + ": output numbers are not 1, 2, 3");
      const auto evs = get_events(s, id);
      check(evs.size() == tally_steps, seed, rs + ": " + std::to_string(evs.size()) + " events stored");
      for (std::size_t k = 0; k < evs.size(); ++k)
        check(evs[k].id == "e" + std::to_string(r) + "-" + std::to_string(k + 1) && evs[k].step == k + 2, seed,
              rs + ": event " + evs[k].id + " stored at step " + std::to_string(evs[k].step));
      check(info.index.count("sum") && info.index.at("sum") == std::to_string(sum), seed, rs + ": index sum");
    } else {
      ++t.orders;
      const std::string a = "a" + std::to_string(r), b = "bb" + std::to_string(r);
      const bool second_ok = r % 2 == 0;
      check(info.children.size() == 2, seed, rs + ": " + std::to_string(info.children.size()) + " children");
      if (info.children.size() != 2) continue;
      const long total = static_cast<long>(a.size() + (second_ok ? b.size() : 0));
      check(info.result_as<int>() == total, seed, rs + ": result " + std::to_string(info.result_as<int>()));
      const std::string failures_text =
          second_ok ? "" : "braid: child run " + to_string(info.children[1]) + " failed: rejected " + b + ";";
      const auto outs = get_outputs(s, id);
      check(outs.size() == 1 && decode<std::string>(outs[0].value) == failures_text, seed,
            rs + ": its output is not the one expected");
      for (int k = 0; k < 2; ++k) {
        const run_info c = get_run(s, info.children[k]);
        const bool ok = k == 0 || second_ok;
        check(c.status == (ok ? run_status::complete : run_status::failed), seed, rs + ": child status");
        check(c.step == 2, seed, rs + ": child " + std::to_string(k + 1) + " has " + std::to_string(c.step) + " steps");
        check(get_events(s, info.children[k]).size() == 1, seed, rs + ": child events");
        check(c.parent == id, seed, rs + ": child's parent");
      }
    }
  }
  check(find_runs(s, {}).size() == static_cast<std::size_t>(expected_runs), seed,
        std::to_string(find_runs(s, {}).size()) + " runs stored, expected " + std::to_string(expected_runs));
  check(s.runnable().empty(), seed, "runs left due");

  // One redelivery found done (duplicate, or an existing start) per kill
  // that came after a commit the worker had not acknowledged: at the
  // target's after_commit, or anywhere in a step that the target's commit
  // made due.
  int expected_dups = 0, dups = 0;
  for (const auto& k : l.kills) {
    ++t.kills;
    ++t.kills_at[k.point];
    if (k.where == "follow-up" || (k.where == "target" && k.point == "after_commit")) ++expected_dups;
  }
  for (const auto& [r, v] : l.started)
    for (const auto& [id, how] : v) dups += how == "existing";
  for (const auto& [rj, v] : l.acked)
    for (const auto& how : v) dups += how == "duplicate";
  t.duplicates += dups;
  check(dups == expected_dups, seed,
        std::to_string(dups) + " redeliveries were found done, expected " + std::to_string(expected_dups) +
            " (one per kill after an unacknowledged commit)");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: crash_driver WORKER DIR [--seeds N] [--runs R] [--first-seed S]\n";
    return 64;
  }
  const std::string worker = argv[1], dir = argv[2];
  int seeds = 150, runs = 2, first_seed = 0;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string o = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (o == "--seeds") seeds = v;
    else if (o == "--runs") runs = v;
    else if (o == "--first-seed") first_seed = v;
  }
  const auto t0 = std::chrono::steady_clock::now();
  totals t;
  for (int seed = first_seed; seed < first_seed + seeds; ++seed) {
    const std::string store = dir + "/crash-" + std::to_string(seed) + ".db";
    const std::string ledger_path = dir + "/crash-" + std::to_string(seed) + ".ledger";
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((store + suffix).c_str());
    std::remove(ledger_path.c_str());
    const int before = failures;
    if (run_scenario(worker, store, ledger_path, seed, seed * runs, runs, t)) {
      try {
        verify(store, ledger_path, seed, seed * runs, runs, t);
      } catch (const std::exception& e) {
        check(false, seed, std::string("checking the store failed: ") + e.what());
      }
    }
    if (failures == before) {
      for (const char* suffix : {"", "-wal", "-shm"}) std::remove((store + suffix).c_str());
      std::remove(ledger_path.c_str());
    } else {
      std::cerr << "crash harness: seed " << seed << ": its store and ledger are kept: " << store << ", "
                << ledger_path << "; rerun with --first-seed " << seed << " --seeds 1\n";
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "crash harness: " << seeds << " seeds, " << t.runs << " runs (" << t.tallies << " tally, " << t.orders
            << " order with 2 children each), " << t.kills << " kills (";
  for (const char* p : points) std::cout << p << " " << t.kills_at[p] << (p == points[2] ? "" : ", ");
  std::cout << "), " << t.duplicates << " redeliveries found done, " << failures << " failed checks, " << secs
            << " s\n";
  return failures == 0 ? 0 : 1;
}
