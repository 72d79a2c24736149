// SPDX-License-Identifier: MIT
// supervisor: restart a crashing worker a bounded number of times. When a
// supervisor gives up, its failure cancels its siblings in the join:
// errors go up, cancellation goes down.
#include <braid/braid.hpp>
#include <braid/op/join.hpp>
#include <braid/op/sleep.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>

/// A worker that crashes on its first `crashes` runs.
struct worker_script {
  std::string name;
  int crashes;
  int work_ms = 10;
  int runs = 0;
};

BRAID_SP braid::task<std::string> worker(worker_script& w) {
  int run = ++w.runs;
  try {
    braid::park(braid::sleep(w.work_ms));
  } catch (const braid::cancelled&) {
    std::printf("supervisor: %s was cancelled during run %d\n", w.name.c_str(), run);
    throw;
  }
  if (run <= w.crashes) throw std::runtime_error(w.name + " crashed on run " + std::to_string(run));
  return w.name + " done after " + std::to_string(run) + " runs";
}

BRAID_SP braid::task<std::string> supervise(worker_script& w, int max_restarts) {
  for (int restarts = 0;; ++restarts) {
    try {
      return braid::park(worker(w));
    } catch (const std::runtime_error& e) {
      if (restarts == max_restarts) {
        std::printf("supervisor: %s; giving up after %d restarts\n", e.what(), restarts);
        throw;
      }
      std::printf("supervisor: %s; restarting\n", e.what());
    }
    braid::park(braid::sleep(5));  // back off before the restart
  }
}

std::string both(std::string a, std::string b) { return a + ", " + b; }

int main() {
  worker_script parser{"parser", 1};
  worker_script indexer{"indexer", 2};
  std::printf("supervisor: %s\n",
              braid::run_blocking(braid::join(both, supervise(parser, 3), supervise(indexer, 3)))
                  .c_str());

  worker_script hopeless{"uploader", 100};
  worker_script slow{"compactor", 0, 500};
  try {
    braid::run_blocking(braid::join(both, supervise(hopeless, 2), supervise(slow, 2)));
  } catch (const std::exception& e) {
    std::printf("supervisor: the group failed: %s\n", e.what());
  }
}
