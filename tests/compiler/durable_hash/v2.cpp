// SPDX-License-Identifier: MIT
// v1 with the code after the listen changed: only the partition that
// continues the listen gets another hash.
#include <braid/durable.hpp>

BRAID_DURABLE braid::run<int> survey(std::string user) {
  int asked = 0;
  std::string answer;
  while (answer.empty()) {
    ++asked;
    braid::durable::output("ask " + user);
    answer = "v2 " + braid::listen<std::string>("answer:" + user);
  }
  return asked;
}
