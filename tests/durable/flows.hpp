// SPDX-License-Identifier: MIT
// Durable functions for the durable tests, the workers and the braid-runs
// test binary, hand-written in exactly the shape braidc is to generate
// (docs/durable.md "The frame contract"); flows.cpp shows the annotated
// source of each above its frame.
//
// Built with BRAID_FLOWS_V2 defined, survey's stored partition differs
// (another hash): a program built that way must refuse runs stored by the
// other build (version tests).
#pragma once

#include <braid/durable.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace flows {

/// Asks `user` until a non-empty answer arrives; returns how often it asked.
/// Index: user = <user>. Outputs "ask <user>" per question, "<user> said <answer>".
braid::run<int> survey(std::string user);

/// Outputs "<who>: <question>", listens on "answer:<who>", returns the
/// answer; the answer "!" throws std::invalid_argument("no answer from <who>").
braid::run<std::string> ask(std::string who, std::string question);

/// n questions (each made by an ordinary task on another thread), each
/// asked through a durable call of ask: ask's frame stacks on interview's.
braid::run<std::vector<std::string>> interview(std::string who, int n);

/// Listens for a bool on "approve:<item>"; false fails the run
/// ("rejected <item>"); true returns the item's length.
braid::run<int> approve(std::string item);

/// Starts one approve child run per item, then waits for each in order;
/// a child that failed adds its message to the output; returns the total.
braid::run<int> order(std::vector<std::string> items);

/// Listens on "go:<name>"; when cancelled, outputs "cleanup <name>", then
/// rethrows (recover == false) or returns "recovered" (recover == true).
braid::run<std::string> guarded(std::string name, bool recover);

/// A cart of typed kept locals (records, maps, optionals, variants, sets):
/// listens on "cart:<owner>" for a command until "done".
struct item {
  std::string sku;
  int qty = 0;
  friend bool operator==(const item&, const item&) = default;
};
void braid_codec(braid::durable::fields& f, item& v);
enum class color : unsigned char { red = 1, green = 2 };
using command = std::variant<item, std::string, color>;
braid::run<std::string> cart(std::string owner);

/// The crash harness's workload: `steps` listens on "add"; each adds
/// value * (i + 1) to the sum, outputs the sum and sets index "sum".
braid::run<long> tally(int id, int steps);

/// Listens on "fail:<n>" once, then throws std::runtime_error("boom <n>").
braid::run<int> fails(int n);

/// No listen at all: completes in its first step with a * b.
braid::run<long> product(long a, long b);

/// Sets and clears index "scratch", sets index "me" to its run id, returns it.
braid::run<std::int64_t> whoami();

/// The registry tests' run (registry_flows.cpp): listens on "in:<name>"
/// for commands until "end", then returns its log. Commands:
///   "sub T" / "unsub T" / "unsub-all"   subscribe topic T as context "in:<name>", unsubscribe
///   "after MS PAYLOAD [ID]"             a timer delivering PAYLOAD on "in:<name>" MS ms from now
///   "at MS PAYLOAD [ID]"                the same at MS ms since the epoch
///   "cancel ID"                         cancels the timers of event id ID
///   "wait X"                            listens once for context X, logs "X=<value>"
///   anything else                       logged and output as is
braid::run<std::vector<std::string>> inbox(std::string name);

}  // namespace flows
