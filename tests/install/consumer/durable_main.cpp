// SPDX-License-Identifier: MIT
// Uses the installed durable runtime: codecs and the SQLite store
// (libbraid_durable and SQLite).
#include <braid/durable.hpp>

#include <cstdio>
#include <map>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) return 64;
  braid::durable::sqlite_store store(argv[1]);
  const std::string text = braid::durable::to_diagnostic(braid::durable::encode(std::map<std::string, int>{{"a", 1}}));
  std::printf("consumer_durable: %s %zu runs\n", text.c_str(), braid::durable::find_runs(store, {}).size());
}
