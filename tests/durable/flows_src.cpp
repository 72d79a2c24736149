// SPDX-License-Identifier: MIT
// The annotated sources of flows.cpp's hand-written frames, compiled by
// braidc (docs/durable.md "The frame contract"): the durable tests built
// against this file (test_durable_*_compiled) run the same cases on the
// frames braidc generates.
#include "flows.hpp"

#include <braid/op/via.hpp>

#include <deque>
#include <stdexcept>

namespace flows {

BRAID_DURABLE braid::run<int> survey(std::string user) {
  int asked = 0;
  std::string answer;
  braid::durable::set_index("user", user);
  while (answer.empty()) {
    ++asked;
    braid::durable::output("ask " + user);
#if defined(BRAID_FLOWS_V2)
    answer = "v2 " + braid::listen<std::string>("answer:" + user);
#else
    answer = braid::listen<std::string>("answer:" + user);
#endif
  }
  braid::durable::output(user + " said " + answer);
  return asked;
}

BRAID_DURABLE braid::run<std::string> ask(std::string who, std::string question) {
  braid::durable::output(who + ": " + question);
  std::string a = braid::listen<std::string>("answer:" + who);
  if (a == "!") throw std::invalid_argument("no answer from " + who);
  return a;
}

namespace {
// An ordinary task completing on another thread (the blk pool).
braid::task<std::string> question_for(int i) {
  return braid::via(braid::blk(), [i] { return "question " + std::to_string(i + 1); });
}
}  // namespace

BRAID_DURABLE braid::run<std::vector<std::string>> interview(std::string who, int n) {
  std::vector<std::string> answers;
  for (int i = 0; i < n; ++i) {
    std::string q = braid::park(question_for(i));  // an ordinary task, in memory
    answers.push_back(braid::park(ask(who, q)));   // a durable call: ask's frame stacks on this one
  }
  return answers;
}

BRAID_DURABLE braid::run<int> approve(std::string item) {
  bool ok = braid::listen<bool>("approve:" + item);
  if (!ok) throw std::runtime_error("rejected " + item);
  return static_cast<int>(item.size());
}

BRAID_DURABLE braid::run<int> order(std::vector<std::string> items) {
  std::vector<braid::durable::child<int>> kids;
  for (const std::string& it : items) kids.push_back(braid::durable::start_child(approve(it)));
  int total = 0;
  std::string failures;
  for (std::size_t i = 0; i < kids.size(); ++i) {
    try {
      total += braid::durable::wait_for(kids[i]);
    } catch (const braid::durable::child_failed& e) {
      failures += std::string(e.what()) + ";";
    }
  }
  braid::durable::output(failures);
  return total;
}

BRAID_DURABLE braid::run<std::string> guarded(std::string name, bool recover) {
  try {
    std::string v = braid::listen<std::string>("go:" + name);
    return v;
  } catch (const braid::cancelled&) {
    braid::durable::output("cleanup " + name);
    if (!recover) throw;
    return std::string("recovered");
  }
}

void braid_codec(braid::durable::fields& f, item& v) { f.field("sku", v.sku).field("qty", v.qty); }

BRAID_DURABLE braid::run<std::string> cart(std::string owner) {
  std::map<std::string, item> lines;
  std::optional<color> paint;
  std::set<int> seen;
  std::deque<std::string> log;
  for (;;) {
    command c = braid::listen<command>("cart:" + owner);
    if (auto* it = std::get_if<item>(&c)) {
      lines[it->sku].sku = it->sku;
      lines[it->sku].qty += it->qty;
      seen.insert(it->qty);
    } else if (auto* s = std::get_if<std::string>(&c)) {
      if (*s == "done") break;
      log.push_back(*s);
    } else {
      paint = std::get<color>(c);
    }
  }
  std::string out = owner + ":";
  for (auto& [sku, it] : lines) out += " " + sku + "x" + std::to_string(it.qty);
  out += paint ? (*paint == color::red ? " red" : " green") : " unpainted";
  out += " log=" + std::to_string(log.size()) + " seen=" + std::to_string(seen.size());
  return out;
}

BRAID_DURABLE braid::run<long> tally(int id, int steps) {
  long sum = 0;
  for (int i = 0; i < steps; ++i) {
    long v = braid::listen<long>("add");
    sum += v * (i + 1);
    braid::durable::output(sum);
    braid::durable::set_index("sum", std::to_string(sum));
  }
  return sum;
}

BRAID_DURABLE braid::run<int> fails(int n) {
  braid::listen<std::string>("fail:" + std::to_string(n));
  throw std::runtime_error("boom " + std::to_string(n));
}

BRAID_DURABLE braid::run<long> product(long a, long b) { return a * b; }

BRAID_DURABLE braid::run<std::int64_t> whoami() {
  braid::durable::set_index("scratch", "1");
  braid::durable::clear_index("scratch");
  braid::durable::set_index("me", braid::durable::to_string(braid::durable::this_run()));
  return static_cast<std::int64_t>(braid::durable::this_run());
}

}  // namespace flows
