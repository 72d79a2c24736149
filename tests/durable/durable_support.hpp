// SPDX-License-Identifier: MIT
// Helpers of the durable tests: fresh store files in the build's scratch
// folder, raw SQL on a store (to corrupt rows, read what is stored), and
// running the worker executables.
#pragma once

#include <braid/durable.hpp>

#include <doctest/doctest.h>

#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace durable_test {

/// A path in the scratch folder, with no file (nor -wal, -shm) left there.
inline std::string fresh_path(const std::string& name) {
  const std::string p = std::string(BRAID_DURABLE_SCRATCH) + "/" + name;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::remove((p + suffix).c_str());
  return p;
}

/// Runs SQL on the database file (outside braid), returns the rows, each
/// column as text (blobs as hex), columns joined by '|'.
inline std::vector<std::string> sql(const std::string& path, const std::string& statement) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
    throw std::runtime_error("test: cannot open " + path);
  sqlite3_busy_timeout(db, 10000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, statement.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    std::string m = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error("test: bad SQL: " + m);
  }
  std::vector<std::string> rows;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    std::string row;
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      if (c) row += "|";
      if (sqlite3_column_type(st, c) == SQLITE_BLOB) {
        static const char* d = "0123456789abcdef";
        const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(st, c));
        for (int i = 0; i < sqlite3_column_bytes(st, c); ++i) {
          row += d[p[i] >> 4];
          row += d[p[i] & 15];
        }
      } else if (sqlite3_column_type(st, c) == SQLITE_NULL) {
        row += "NULL";
      } else {
        row += reinterpret_cast<const char*>(sqlite3_column_text(st, c));
      }
    }
    rows.push_back(row);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  if (rc != SQLITE_DONE) throw std::runtime_error("test: SQL failed: " + statement);
  return rows;
}

/// Everything stored about a run: its row, events, outputs and index.
inline std::string snapshot(const std::string& path, braid::durable::run_id id) {
  const std::string i = braid::durable::to_string(id);
  std::string out;
  for (const auto& q : {"SELECT * FROM braid_runs WHERE id = " + i, "SELECT * FROM braid_events WHERE run = " + i,
                        "SELECT * FROM braid_outputs WHERE run = " + i, "SELECT * FROM braid_index WHERE run = " + i})
    for (const auto& r : sql(path, q)) out += r + "\n";
  return out;
}

/// The SQLite store, as the store behaviour cases (runs_cases.hpp,
/// registries_cases.hpp, two_process_cases.hpp) see a backend: a place is a
/// fresh, empty store (here: a file in the scratch folder), opened as often
/// as a case needs connections, inspected with raw SQL, and named to the
/// worker processes by spec(). pg_support.hpp has the PostgreSQL one.
struct sqlite_backend {
  class place {
   public:
    explicit place(const std::string& name) : path_(fresh_path(name)) {}
    std::unique_ptr<braid::durable::store> open() const { return std::make_unique<braid::durable::sqlite_store>(path_); }
    std::vector<std::string> sql(const std::string& statement) const { return durable_test::sql(path_, statement); }
    std::string snapshot(braid::durable::run_id id) const { return durable_test::snapshot(path_, id); }
    /// The STORE argument of the worker processes.
    const std::string& spec() const { return path_; }
    /// SQL for a blob column as hex digits, and for a blob from hex digits.
    static std::string hex(const std::string& column) { return "hex(" + column + ")"; }
    static std::string blob(const std::string& hex_digits) { return "x'" + hex_digits + "'"; }

   private:
    std::string path_;
  };
  static std::string worker() { return BRAID_DURABLE_WORKER; }
  static std::string worker_v2() { return BRAID_DURABLE_WORKER_V2; }
};

/// The message of the braid::durable::error `f` throws; checks its kind.
template <class F>
std::string error_of(braid::durable::error_kind kind, F&& f) {
  try {
    f();
  } catch (const braid::durable::error& e) {
    CHECK_MESSAGE(e.kind() == kind, "kind ", braid::durable::to_string(e.kind()), ": ", e.what());
    return e.what();
  }
  return "(no error)";
}

/// Outputs of a run, each in diagnostic notation.
inline std::vector<std::string> outputs(braid::durable::store& s, braid::durable::run_id id) {
  std::vector<std::string> out;
  for (const auto& o : braid::durable::get_outputs(s, id)) out.push_back(braid::durable::to_diagnostic(o.value));
  return out;
}

struct process_result {
  int status = -1;     // exit code, or -signal
  std::string out;     // stdout and stderr
};

/// A process started with fork + exec, its stdout and stderr in a file.
class process {
 public:
  process(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
    static int n = 0;
    out_path_ = std::string(BRAID_DURABLE_SCRATCH) + "/proc." + std::to_string(::getpid()) + "." +
                std::to_string(++n) + ".out";
    std::fflush(nullptr);  // or the child flushes a copy of our buffered output
    pid_ = ::fork();
    if (pid_ == 0) {
      if (!std::freopen(out_path_.c_str(), "w", stdout)) std::_Exit(126);
      ::dup2(::fileno(stdout), 2);
      for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      std::_Exit(127);
    }
  }
  ~process() {
    if (pid_ > 0 && !done_) {
      ::kill(pid_, SIGKILL);
      int st;
      ::waitpid(pid_, &st, 0);
    }
    std::remove(out_path_.c_str());
  }
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  /// Waits until it stops itself (BRAID_DURABLE_STOP_AT) or ends; true if stopped.
  bool wait_stopped() {
    int st = 0;
    ::waitpid(pid_, &st, WUNTRACED);
    if (WIFSTOPPED(st)) return true;
    done_ = true;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    return false;
  }
  void resume() { ::kill(pid_, SIGCONT); }
  /// Waits for the end; its exit status (-signal when killed) and output.
  process_result finish() {
    if (!done_) {
      int st = 0;
      ::waitpid(pid_, &st, 0);
      done_ = true;
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    }
    std::ifstream in(out_path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return {status_, ss.str()};
  }

 private:
  pid_t pid_ = -1;
  bool done_ = false;
  int status_ = -1;
  std::string out_path_;
};

/// Runs `argv` to its end.
inline process_result run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
  return process(argv, env).finish();
}

}  // namespace durable_test
