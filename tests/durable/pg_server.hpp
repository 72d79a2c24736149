// SPDX-License-Identifier: MIT
// A throwaway PostgreSQL server for a test or bench executable (start()
// before the first use, stop() after the last), and the connection
// strings to it. pg_support.hpp (the durable tests) and bench/w8_load.cpp
// include it; BRAID_DURABLE_SCRATCH (a macro, the folder the cluster goes
// under) must be defined by the including target.
//
// The server: Debian's postgresql package (/usr/lib/postgresql/<version>/
// bin; BRAID_PG_BINDIR overrides), initdb into a folder under the build's
// scratch folder, postgres started on a Unix socket there and on a free
// port of 127.0.0.1, fsync off (a test cluster). initdb and postgres refuse
// to run as root, so as root (CI) they run as an unprivileged user: nobody,
// or BRAID_PG_USER. The server gets SIGQUIT when the process that started
// it dies (PR_SET_PDEATHSIG), so a crashed test leaves no server behind.
//
// Environment: BRAID_PG_CONNINFO=<libpq connection string> uses an
// existing server instead.
#pragma once

#include <libpq-fe.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace durable_test::pg {

struct server_state {
  std::string conninfo;      // what the tests connect with
  std::string tcp_conninfo;  // the throwaway server over TCP (empty for an existing one)
  bool own = false;
  std::string base;          // the throwaway server's folder
  std::string socket_dir;
  pid_t pid = -1;
  PGconn* admin = nullptr;   // raw SQL (sql())
  std::mutex admin_m;
};

inline server_state& state() {
  static server_state s;
  return s;
}

inline const std::string& conninfo() { return state().conninfo; }
inline const std::string& tcp_conninfo() { return state().tcp_conninfo; }
inline bool own_server() { return state().own; }

[[noreturn]] inline void refuse(const std::string& why) {
  throw std::runtime_error(
      "the PostgreSQL tests cannot run: " + why +
      "\n  (tools/bootstrap installs Debian's postgresql package; BRAID_PG_CONNINFO='host=... dbname=...' uses an "
      "existing server, BRAID_PG_SKIP=1 skips these tests)");
}

inline std::string tail_of(const std::string& path, std::size_t lines = 15) {
  std::ifstream in(path);
  std::vector<std::string> all;
  std::string l;
  while (std::getline(in, l)) all.push_back(l);
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += "\n    | " + all[i];
  return out.empty() ? "\n    | (" + path + " is empty)" : out;
}

/// Who runs initdb and postgres.
struct account {
  bool drop = false;  // setuid to uid/gid (we are root)
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};

inline account server_account() {
  account a;
  if (::geteuid() != 0) return a;
  const char* env = std::getenv("BRAID_PG_USER");
  a.name = env && *env ? env : "nobody";
  const passwd* pw = ::getpwnam(a.name.c_str());
  if (!pw)
    refuse("this process runs as root, which initdb and postgres refuse, and the user '" + a.name +
           "' to run them as does not exist (set BRAID_PG_USER to an unprivileged user)");
  a.drop = true;
  a.uid = pw->pw_uid;
  a.gid = pw->pw_gid;
  return a;
}

/// Starts argv (stdout and stderr appended to `log`) as `a`, in `dir`
/// (exit 125 when `a` cannot write there); with `tied`, the child gets
/// SIGQUIT when this thread ends.
inline pid_t spawn(const std::vector<std::string>& argv, const std::string& log, const account& a,
                   const std::string& dir, bool tied) {
  std::vector<char*> args;
  for (const auto& s : argv) args.push_back(const_cast<char*>(s.c_str()));
  args.push_back(nullptr);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) refuse("cannot write " + log + ": " + std::strerror(errno));
  const pid_t parent = ::getpid();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    const int in = ::open("/dev/null", O_RDONLY);
    if (in >= 0) ::dup2(in, 0);
    if (a.drop && (::setgroups(0, nullptr) != 0 || ::setgid(a.gid) != 0 || ::setuid(a.uid) != 0)) ::_exit(126);
    // After setuid: a change of credentials clears the death signal.
    if (tied && (::prctl(PR_SET_PDEATHSIG, SIGQUIT) != 0 || ::getppid() != parent)) ::_exit(124);
    if (::access(dir.c_str(), W_OK | X_OK) != 0) ::_exit(125);
    if (::chdir(dir.c_str()) != 0) ::_exit(125);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fd);
  if (pid < 0) refuse(std::string("fork failed: ") + std::strerror(errno));
  return pid;
}

inline int wait_exit(pid_t pid) {
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
}

inline std::string bin_dir() {
  if (const char* env = std::getenv("BRAID_PG_BINDIR"); env && *env) {
    if (::access((std::string(env) + "/initdb").c_str(), X_OK) != 0)
      refuse("BRAID_PG_BINDIR='" + std::string(env) + "' has no initdb");
    return env;
  }
  std::string best;
  long best_version = -1;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string v = e.path().filename().string();
    const long n = std::strtol(v.c_str(), nullptr, 10);
    if (n > best_version && ::access((e.path() / "bin" / "initdb").c_str(), X_OK) == 0) {
      best_version = n;
      best = (e.path() / "bin").string();
    }
  }
  if (best.empty()) refuse("no PostgreSQL server is installed (no /usr/lib/postgresql/<version>/bin/initdb)");
  return best;
}

inline int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  if (s < 0 || ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &n) != 0)
    refuse(std::string("cannot find a free local port: ") + std::strerror(errno));
  ::close(s);
  return ntohs(a.sin_port);
}

inline std::string make_temp_dir(const account& a) {
  char tmpl[] = "/tmp/braid-pg-XXXXXX";
  if (!::mkdtemp(tmpl)) refuse(std::string("cannot make a folder in /tmp: ") + std::strerror(errno));
  if (a.drop && ::chown(tmpl, a.uid, a.gid) != 0) refuse(std::string("cannot chown ") + tmpl + ": " + std::strerror(errno));
  ::chmod(tmpl, 0755);
  return tmpl;
}

/// Removes folders of earlier runs of this executable whose process is gone.
inline void remove_stale(const std::string& prefix) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(BRAID_DURABLE_SCRATCH, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind(prefix, 0) != 0) continue;
    const long pid = std::strtol(n.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      std::filesystem::remove_all(e.path(), ec);
  }
}

inline void quiet_notices(void*, const char*) {}

inline void run_admin(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
  const std::string msg = PQresultErrorMessage(r);
  PQclear(r);
  if (!ok) throw std::runtime_error("test: SQL failed: " + sql + ": " + msg);
}

/// Starts the throwaway server (or checks BRAID_PG_CONNINFO). `name`: the
/// test executable's, for its folder. Throws with the reason.
inline void start(const std::string& name) {
  server_state& s = state();
  if (const char* env = std::getenv("BRAID_PG_CONNINFO"); env && *env) {
    s.conninfo = env;
    PGconn* c = PQconnectdb(env);
    if (PQstatus(c) != CONNECTION_OK) {
      const std::string msg = PQerrorMessage(c);
      PQfinish(c);
      refuse("BRAID_PG_CONNINFO='" + s.conninfo + "' does not connect: " + msg);
    }
    s.admin = c;
    PQsetNoticeProcessor(s.admin, &quiet_notices, nullptr);
    return;
  }
  const account a = server_account();
  const std::string bin = bin_dir();
  const std::string prefix = "pg-" + name + "-";
  remove_stale(prefix);
  s.base = std::string(BRAID_DURABLE_SCRATCH) + "/" + prefix + std::to_string(::getpid());
  std::error_code ec;
  std::filesystem::remove_all(s.base, ec);
  std::filesystem::create_directories(s.base, ec);
  if (ec) refuse("cannot make " + s.base + ": " + ec.message());
  ::chmod(s.base.c_str(), 0755);
  if (a.drop && ::chown(s.base.c_str(), a.uid, a.gid) != 0)
    refuse("cannot give " + s.base + " to the user " + a.name + ": " + std::strerror(errno));

  std::string data = s.base + "/data";
  std::string log = s.base + "/initdb.log";
  const std::vector<std::string> initdb = {bin + "/initdb", "-D", data, "-U", "braid", "-A", "trust", "-E", "UTF8",
                                           "--locale=C", "-N"};
  int rc = wait_exit(spawn(initdb, log, a, s.base, false));
  if (rc == 125) {
    // The server's user cannot reach the build folder (a private home?):
    // the cluster goes to /tmp instead.
    std::filesystem::remove_all(s.base, ec);
    s.base = make_temp_dir(a);
    data = s.base + "/data";
    log = s.base + "/initdb.log";
    std::vector<std::string> again = initdb;
    again[2] = data;
    rc = wait_exit(spawn(again, log, a, s.base, false));
  }
  if (rc != 0)
    refuse(bin + "/initdb" + (a.drop ? " (as " + a.name + ")" : std::string()) + " failed with exit code " +
           std::to_string(rc) + "; its output:" + tail_of(log));
  // Unix socket paths are at most 107 bytes.
  s.socket_dir = s.base.size() + 20 < 100 ? s.base : make_temp_dir(a);

  const std::string server_log = s.base + "/server.log";
  for (int attempt = 0;; ++attempt) {
    const int port = free_port();
    const std::vector<std::string> argv = {bin + "/postgres", "-D", data, "-k", s.socket_dir, "-p",
                                           std::to_string(port), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                                           "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c",
                                           "max_connections=100", "-c", "shared_buffers=16MB", "-c",
                                           "unix_socket_permissions=0777"};
    s.pid = spawn(argv, server_log, a, s.base, true);
    const std::string ping = "host=" + s.socket_dir + " port=" + std::to_string(port) +
                             " user=braid dbname=postgres connect_timeout=5";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool up = false, died = false;
    while (std::chrono::steady_clock::now() < deadline) {
      int st = 0;
      if (::waitpid(s.pid, &st, WNOHANG) == s.pid) {
        died = true;
        break;
      }
      if (PQping(ping.c_str()) == PQPING_OK) {
        up = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the server's start-up, not a test's wait
    }
    if (up) {
      s.own = true;
      s.conninfo = "host=" + s.socket_dir + " port=" + std::to_string(port) + " user=braid dbname=braid";
      s.tcp_conninfo = "host=127.0.0.1 port=" + std::to_string(port) +
                       " user=braid dbname=braid sslmode=disable gssencmode=disable";
      PGconn* c = PQconnectdb(ping.c_str());
      if (PQstatus(c) != CONNECTION_OK) refuse(std::string("cannot connect to the new server: ") + PQerrorMessage(c));
      run_admin(c, "CREATE DATABASE braid");
      PQfinish(c);
      s.admin = PQconnectdb(s.conninfo.c_str());
      if (PQstatus(s.admin) != CONNECTION_OK)
        refuse(std::string("cannot connect to the new server's database: ") + PQerrorMessage(s.admin));
      PQsetNoticeProcessor(s.admin, &quiet_notices, nullptr);
      return;
    }
    if (!died) {
      ::kill(s.pid, SIGKILL);
      wait_exit(s.pid);
      s.pid = -1;
      refuse(bin + "/postgres did not accept connections within 60 s; its log:" + tail_of(server_log));
    }
    s.pid = -1;
    if (attempt == 2)  // (another process may have taken the free port first)
      refuse(bin + "/postgres" + (a.drop ? " (as " + a.name + ")" : std::string()) + " exited at start-up; its log:" +
             tail_of(server_log));
  }
}

/// Stops the throwaway server (fast shutdown) and removes its folder,
/// unless `keep` (then it says where the logs are).
inline void stop(bool keep) {
  server_state& s = state();
  if (s.admin) PQfinish(s.admin);
  s.admin = nullptr;
  if (!s.own) return;
  if (s.pid > 0) {
    ::kill(s.pid, SIGINT);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    int st = 0;
    while (::waitpid(s.pid, &st, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(s.pid, SIGKILL);
        wait_exit(s.pid);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    s.pid = -1;
  }
  std::error_code ec;
  if (keep) {
    std::fprintf(stderr, "the PostgreSQL test server's folder (logs) is kept: %s\n", s.base.c_str());
    return;
  }
  if (s.socket_dir != s.base) std::filesystem::remove_all(s.socket_dir, ec);
  std::filesystem::remove_all(s.base, ec);
  s.own = false;
}

}  // namespace durable_test::pg
