// SPDX-License-Identifier: MIT
// The main of the PostgreSQL test executables: starts the throwaway
// server (pg_support.hpp) before the first case and stops it after the
// last; a server that cannot start fails the executable with the reason,
// BRAID_PG_SKIP=1 skips it (exit code 77, which CTest reports as skipped).
#define DOCTEST_CONFIG_IMPLEMENT
#include "pg_support.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  if (const char* skip = std::getenv("BRAID_PG_SKIP"); skip && std::strcmp(skip, "1") == 0) {
    std::printf("SKIPPED: BRAID_PG_SKIP=1: the PostgreSQL store's tests (%s) did not run\n", BRAID_PG_TEST_NAME);
    return 77;
  }
  try {
    durable_test::pg::start(BRAID_PG_TEST_NAME);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "FAILED: %s\n", e.what());
    durable_test::pg::stop(true);
    return 1;
  }
  doctest::Context ctx(argc, argv);
  const int rc = ctx.run();
  durable_test::pg::stop(rc != 0 && !std::getenv("BRAID_PG_CONNINFO"));
  return rc;
}
