// SPDX-License-Identifier: MIT
// The main of braid-runs (and of the braid-runs a user links with their
// durable functions: braid::durable_cli_main).
#include <braid/durable/cli.hpp>

int main(int argc, char** argv) { return braid::durable::runs_main(argc, argv); }
