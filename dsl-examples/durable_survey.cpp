// SPDX-License-Identifier: MIT
// deflow's two examples (design.md section 6, shared/reference "deflow
// architecture") as BRAID_DURABLE functions compiled by braidc, run across
// two processes that share one SQLite store:
//
//   durable_survey start runs.db    starts the runs; each stops at its first listen
//   durable_survey answer runs.db   another process: answers them until they end
//
// user_survey: the survey's results come from the "database" at once, or a
// dialog asks the user (a child run) and waits - for days, in production -
// for the answers. fl0: deflow's flow exercising every place a flow call can
// stand: a let binding, branches ending in a value or in a flow, a flow in
// the middle of a sequence, flows as function arguments.
#include <braid/durable.hpp>

#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace survey {

struct results {
  std::string user;
  std::vector<std::string> answers;
  bool from_db = false;
};

// The database a real flow would query: bob answered last year.
std::optional<results> survey_results_from_db(const std::string& user) {
  if (user == "bob") return results{user, {"blue", "tea"}, true};
  return std::nullopt;
}

const std::vector<std::string> questions = {"favourite colour?", "tea or coffee?"};

// The dialog: one question at a time, each answer an event days later.
BRAID_DURABLE braid::run<results> survey_dialog(std::string user) {
  results r{user, {}, false};
  for (std::size_t i = 0; i < questions.size(); ++i) {
    braid::durable::output(user + ": " + questions[i]);
    r.answers.push_back(braid::listen<std::string>("answer:" + user));
  }
  return r;
}

// (deflow user-survey [s] (or (get-survey-results-from-db s) (launch-survey-dialog s)))
BRAID_DURABLE braid::run<results> user_survey(std::string user) {
  braid::durable::set_index("survey", user);
  if (std::optional<results> r = survey_results_from_db(user)) return *r;  // step 1 ends the run
  braid::durable::child<results> dialog = braid::durable::start_child(survey_dialog(user));
  return braid::durable::wait_for(dialog);  // step 2 only if the database had nothing
}

}  // namespace survey

namespace deflow {

// fl0's ordinary functions (a)...(g) and its flows fl1---...fl5---, each
// of which waits for an event named after it.
bool a(int z) { return z % 2 == 0; }
bool b(int z) { return z % 4 == 0; }
bool d(int z) { return z % 3 == 0; }
int c() { return 3; }
int e(int y) { return 10 * y; }
int f() { return 6; }
int g() { return 7; }

BRAID_DURABLE braid::run<int> fl1() { return braid::listen<int>("fl1"); }
BRAID_DURABLE braid::run<bool> fl2() { return braid::listen<bool>("fl2"); }
BRAID_DURABLE braid::run<int> fl3() { return braid::listen<int>("fl3"); }
BRAID_DURABLE braid::run<int> fl4(int p, int q) { return p + q + braid::listen<int>("fl4"); }
BRAID_DURABLE braid::run<int> fl5() { return braid::listen<int>("fl5"); }

// (deflow fl0--- [z] (let [x (do (m) (if (a) (if (b) (fl1---) (c)) (if (d)
//   (if (fl2---) (let [y (fl3---)] (e y)) (do (fl3---) (f))) (fl4--- (fl5---) (g)))))] (f x)))
BRAID_DURABLE braid::run<int> fl0(int z) {
  braid::durable::output("m");  // (m)
  int x = a(z) ? (b(z) ? braid::park(fl1()) : c())
          : d(z) ? (braid::park(fl2()) ? e(braid::park(fl3())) : (braid::park(fl3()), f()))
                 : braid::park(fl4(braid::park(fl5()), g()));
  return 100 + x;  // (f x)
}

}  // namespace deflow

namespace {

namespace bd = braid::durable;

const std::vector<std::string> users = {"ann", "bob"};
const std::vector<int> zs = {4, 2, 3, 9, 5};  // fl0's paths: fl1; (c); fl2 true; fl2 false; fl4(fl5)

int start(const std::string& path) {
  bd::sqlite_store s(path);
  for (const std::string& u : users) {
    bd::run_id id = bd::start_run(s, survey::user_survey(u), {.key = "survey:" + u});
    std::printf("started user_survey(%s): run %s, %s\n", u.c_str(), bd::to_string(id).c_str(),
                std::string(bd::to_string(bd::get_run(s, id).status)).c_str());
  }
  for (int z : zs) {
    bd::run_id id = bd::start_run(s, deflow::fl0(z), {.key = "fl0:" + std::to_string(z)});
    bd::run_info i = bd::get_run(s, id);
    std::printf("started fl0(%d): run %s, %s%s%s\n", z, bd::to_string(id).c_str(),
                std::string(bd::to_string(i.status)).c_str(), i.waiting_for.empty() ? "" : " for ",
                i.waiting_for.c_str());
  }
  return 0;
}

// What the outside world answers to the n-th event of a context (n = 0, 1, ...).
std::string answer_for(const std::string& context, int n) {
  if (context == "answer:ann") return bd::encode(std::string(n == 0 ? "green" : "coffee"));
  if (context == "fl2") return bd::encode(n == 0);  // true once, then false
  return bd::encode(n + 1);                          // fl1, fl3, fl4, fl5: 1, 2, ...
}

int answer(const std::string& path) {
  bd::sqlite_store s(path, {.create = false});
  int events = 0;
  std::map<std::string, int> per_context;
  // Deliver to every waiting run until none waits (a child's end wakes its parent).
  for (bool progress = true; progress;) {
    progress = false;
    for (const bd::run_info& r : bd::find_runs(s, {.status = bd::run_status::waiting})) {
      if (r.waiting_for.empty()) continue;  // waits for a child run
      std::string id = "e" + std::to_string(++events);
      bd::continue_run(s, r.id, bd::event{id, r.waiting_for, answer_for(r.waiting_for, per_context[r.waiting_for]++)});
      progress = true;
    }
  }
  std::string line;
  for (const std::string& u : users) {
    bd::run_info i = bd::find_runs(s, {.index = {{"survey", u}}}).at(0);
    survey::results r = i.result_as<survey::results>();
    std::printf("user_survey(%s): %s, answers", u.c_str(), r.from_db ? "from the database" : "asked");
    for (const std::string& x : r.answers) std::printf(" %s", x.c_str());
    std::printf("\n");
    line += (line.empty() ? "" : "; ") + u + (r.from_db ? " from the db" : " answered " + r.answers.back());
  }
  std::string paths;
  for (const bd::run_info& r : bd::find_runs(s, {.function = "deflow::fl0(int)"})) {
    paths += " " + std::to_string(r.result_as<int>());
  }
  std::printf("durable_survey: %s; fl0 results:%s (after %d events, in another process)\n", line.c_str(),
              paths.c_str(), events);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "start") != 0 && std::strcmp(argv[1], "answer") != 0)) {
    std::fprintf(stderr, "usage: durable_survey start|answer STORE\n");
    return 2;
  }
  try {
    return std::strcmp(argv[1], "start") == 0 ? start(argv[2]) : answer(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "durable_survey: %s\n", e.what());
    return 1;
  }
}
