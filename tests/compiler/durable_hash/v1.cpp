// SPDX-License-Identifier: MIT
// durable_hash: the stored partition hashes of one durable function, as
// written (v1), reformatted with comments (v1_reformatted: every hash kept)
// and with the code after its listen changed (v2: only that partition's).
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
