// SPDX-License-Identifier: MIT
// Two processes on one SQLite store: the cases every backend runs
// (two_process_cases.hpp).
#include "durable_support.hpp"

#define BRAID_STORE_BACKENDS durable_test::sqlite_backend
#include "two_process_cases.hpp"
