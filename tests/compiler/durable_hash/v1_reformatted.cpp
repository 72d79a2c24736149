// SPDX-License-Identifier: MIT
// v1 with other comments, whitespace and line breaks, and moved down by
// a few lines: every hash is kept.
#include <braid/durable.hpp>



BRAID_DURABLE braid::run<int>
survey(std::string user)
{
  int asked = 0;  // how often we asked
  std::string answer;
  while (answer.empty())
  {
    ++ asked;
    /* ask again */ braid::durable::output("ask "
                                          + user);
    answer =
        braid::listen<std::string>("answer:" + user);  // the run is stored here
  }
  return asked;
}
