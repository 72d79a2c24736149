// SPDX-License-Identifier: MIT
// braid-runs: list, show, cancel, continue and resume the durable runs in a
// store (docs/durable.md "braid-runs"). Stored frames are self-describing,
// so list and show work without the runs' code; continue and cancel (with
// handlers) run code, and need a braid-runs linked with the functions.
#include <braid/durable.hpp>
#include <braid/durable/cli.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace braid::durable {

namespace {

std::string hex64(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string waits_for(const run_info& i) {
  if (i.waiting_child) return "child run " + to_string(*i.waiting_child);
  if (i.status == run_status::waiting || (i.status == run_status::blocked_by_version && !i.event_type.empty()))
    return i.waiting_for;
  return "-";
}

void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> w;
  for (const auto& r : rows)
    for (std::size_t c = 0; c < r.size(); ++c) {
      if (w.size() <= c) w.push_back(0);
      w[c] = std::max(w[c], r[c].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t c = 0; c < r.size(); ++c) {
      line += r[c];
      if (c + 1 < r.size()) line += std::string(w[c] - r[c].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

int list(store& s, const run_query& q) {
  std::vector<std::vector<std::string>> rows{{"ID", "STATUS", "STEP", "FUNCTION", "WAITS FOR", "PARENT"}};
  for (const run_info& i : find_runs(s, q))
    rows.push_back({to_string(i.id), std::string(to_string(i.status)), std::to_string(i.step), i.function,
                    waits_for(i), i.parent ? to_string(*i.parent) : "-"});
  if (rows.size() == 1) {
    std::cout << "no runs\n";
    return 0;
  }
  print_table(std::cout, rows);
  return 0;
}

int show(store& s, run_id id) {
  const run_info i = get_run(s, id);
  std::ostream& o = std::cout;
  o << "run " << to_string(i.id) << ": " << i.function << "\n";
  o << "  status:    " << to_string(i.status) << " (step " << i.step << ")\n";
  if (!i.key.empty()) o << "  key:       " << i.key << "\n";
  // The arguments as a call: f("ann", 2) (the stored array without its brackets).
  const std::string args = get_call(s, id);
  o << "  called:    " << i.function.substr(0, i.function.find('(')) << "(" << args.substr(1, args.size() - 2) << ")\n";
  if (i.waiting_child)
    o << "  waits for: child run " << to_string(*i.waiting_child) << " to end\n";
  else if (i.status == run_status::waiting || (i.status == run_status::blocked_by_version && !i.event_type.empty()))
    o << "  waits for: an event of context '" << i.waiting_for << "' (a " << i.event_type << ")\n";
  if (!i.blocked.empty()) o << "  blocked:   " << i.blocked << "\n";
  if (i.status == run_status::complete) o << "  result:    " << to_diagnostic(i.result, "the result") << "\n";
  if (i.status == run_status::failed || i.status == run_status::cancelled)
    o << "  error:     " << i.error << (i.error_type.empty() ? "" : " (" + i.error_type + ")") << "\n";
  o << "  parent:    " << (i.parent ? "run " + to_string(*i.parent) : std::string("-")) << "\n";
  if (!i.children.empty()) {
    o << "  children:  ";
    for (std::size_t k = 0; k < i.children.size(); ++k)
      o << (k ? ", " : "") << to_string(i.children[k]) << " (" << to_string(get_run(s, i.children[k]).status) << ")";
    o << "\n";
  }
  if (!i.index.empty()) {
    o << "  index:     ";
    bool first = true;
    for (const auto& [k, v] : i.index) {
      o << (first ? "" : ", ") << k << " = " << v;
      first = false;
    }
    o << "\n";
  }
  const auto stack = get_stack(s, id);
  if (!stack.empty()) {
    o << "  stack (the root first; the run resumes in the last):\n";
    for (std::size_t k = 0; k < stack.size(); ++k) {
      const frame_view& f = stack[k];
      o << "    #" << k << " " << f.partition << " at " << f.file << ":" << f.line << ":" << f.col << " (hash "
        << hex64(f.hash) << ")\n";
      for (const auto& [n, v] : f.params) o << "         " << n << " = " << v << "   (parameter)\n";
      for (const auto& [n, v] : f.locals) o << "         " << n << " = " << v << "\n";
    }
  }
  const auto events = get_events(s, id);
  if (!events.empty()) {
    o << "  events:\n";
    for (const auto& e : events)
      o << "    step " << e.step << ": '" << e.id << "' for '" << e.context << "': " << to_diagnostic(e.payload, "the event")
        << "\n";
  }
  const auto outs = get_outputs(s, id);
  if (!outs.empty()) {
    o << "  outputs:\n";
    for (const auto& out : outs)
      o << "    " << out.seq << " (step " << out.step << "): " << to_diagnostic(out.value, "the output") << "\n";
  }
  return 0;
}

}  // namespace

int runs_main(int argc, char** argv) {
  CLI::App app{"braid-runs: list, show, cancel, continue and resume the durable runs in a store"};
  app.require_subcommand(1);
  std::string path;
  std::int64_t id = 0;

  auto* list_cmd = app.add_subcommand("list", "List the runs (in id order), optionally only those that match");
  list_cmd->add_option("store", path, "The store (an SQLite file)")->required();
  std::string status, function, waiting;
  std::int64_t parent = 0;
  std::vector<std::string> index;
  std::size_t limit = 0;
  list_cmd->add_option("--status", status, "running, waiting, complete, failed, cancelled or blocked-by-version")
      ->check(CLI::IsMember({"running", "waiting", "complete", "failed", "cancelled", "blocked-by-version"}));
  list_cmd->add_option("--function", function, "A function's stable name, e.g. 'survey(std::string)'");
  list_cmd->add_option("--parent", parent, "Children of this run");
  list_cmd->add_option("--waiting", waiting, "Runs that listen for this context");
  list_cmd->add_option("--index", index, "KEY=VALUE: runs whose index has it (repeatable)");
  list_cmd->add_option("--limit", limit, "At most this many");

  auto* show_cmd = app.add_subcommand("show", "Show one run: status, what it waits for, its stack of frames with "
                                              "their source locations and locals, its events and outputs");
  show_cmd->add_option("store", path, "The store (an SQLite file)")->required();
  show_cmd->add_option("id", id, "The run")->required();

  auto* cancel_cmd = app.add_subcommand("cancel", "Cancel a run and its unfinished children: its handlers run "
                                                  "(this program must contain its functions), or --kill");
  cancel_cmd->add_option("store", path, "The store (an SQLite file)")->required();
  cancel_cmd->add_option("id", id, "The run")->required();
  bool kill = false;
  cancel_cmd->add_flag("--kill", kill, "Mark it cancelled without running any of its code");

  auto* continue_cmd = app.add_subcommand("continue", "Deliver an event to a run (this program must contain its "
                                                      "functions)");
  continue_cmd->add_option("store", path, "The store (an SQLite file)")->required();
  continue_cmd->add_option("id", id, "The run")->required();
  std::string event_id, context, value;
  continue_cmd->add_option("--event", event_id, "The event's id (a second delivery of it changes nothing)")->required();
  continue_cmd->add_option("--context", context, "The context the run listens for")->required();
  continue_cmd->add_option("--value", value, "The event's value, in diagnostic notation: 5, \"yes\", [1, 2], "
                                             "{\"sku\": \"pen\", \"qty\": 2}, variant(1, \"x\")")
      ->required();

  auto* resume_cmd = app.add_subcommand("resume", "Run every due step (runs left running by a process that stopped)");
  resume_cmd->add_option("store", path, "The store (an SQLite file)")->required();

  auto* functions_cmd = app.add_subcommand("functions", "List the durable functions this program contains");

  CLI11_PARSE(app, argc, argv);

  try {
    if (functions_cmd->parsed()) {
      const auto tables = detail::registered_tables();
      if (tables.empty()) std::cout << "no durable functions (list and show need none; see braid-runs --help)\n";
      for (const auto* t : tables) std::cout << t->function << "\n";
      return 0;
    }
    sqlite_store s(path, {.create = false});
    if (list_cmd->parsed()) {
      run_query q;
      if (!status.empty()) q.status = parse_run_status(status);
      q.function = function;
      if (parent) q.parent = run_id(parent);
      q.waiting_for = waiting;
      for (const auto& kv : index) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos) {
          std::cerr << "braid-runs: --index " << kv << ": expected KEY=VALUE\n";
          return 1;
        }
        q.index.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
      }
      q.limit = limit;
      return list(s, q);
    }
    if (show_cmd->parsed()) return show(s, run_id(id));
    if (cancel_cmd->parsed()) {
      const run_status st = cancel_run(s, run_id(id), kill ? cancel_mode::kill : cancel_mode::unwind);
      std::cout << "run " << id << ": " << to_string(st) << "\n";
      return 0;
    }
    if (continue_cmd->parsed()) {
      const continue_result r = continue_run(s, run_id(id), event{event_id, context, from_diagnostic(value)});
      const run_info i = get_run(s, run_id(id));
      if (r.duplicate)
        std::cout << "run " << id << ": already received event '" << event_id << "'; nothing changed ("
                  << to_string(i.status) << ", step " << i.step << ")\n";
      else
        std::cout << "run " << id << ": continued, now " << to_string(i.status) << " (step " << i.step << ")\n";
      return 0;
    }
    if (resume_cmd->parsed()) {
      std::cout << resume_runs(s) << " due steps ran\n";
      return 0;
    }
  } catch (const error& e) {
    std::cerr << "braid-runs: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace braid::durable
