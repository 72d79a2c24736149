// SPDX-License-Identifier: MIT
// golden/durable: the frame braidc writes for a BRAID_DURABLE function
// (docs/durable.md "The frame contract"): encode/decode of what is live at
// the listen, the table with hashes and resume sites, make_run.
#include <braid/durable.hpp>

BRAID_DURABLE braid::run<int> survey(std::string user) {
  int asked = 0;
  std::string answer;
  while (answer.empty()) {
    ++asked;
    braid::durable::output("ask " + user);
    answer = braid::listen<std::string>("answer:" + user);
  }
  return asked;
}
