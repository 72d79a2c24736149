// SPDX-License-Identifier: MIT
#pragma once

/// braid-runs, as a function (library braid::durable_cli): what a user
/// inspects when a run is stuck (docs/durable.md "braid-runs").
///
/// `list` and `show` need no code: stored frames are self-describing. To
/// `continue` runs, or `cancel` them with their handlers, braid-runs needs
/// the durable functions: build your own, linking your functions' object
/// files with braid::durable_cli, whose main is this function:
///
///     add_executable(my-runs my_flows.cpp)
///     target_link_libraries(my-runs PRIVATE braid::durable_cli)
///
/// (braid::durable_cli_main provides `int main` calling runs_main.)

namespace braid::durable {

/// Parses the command line of braid-runs and runs it. Returns the exit
/// status: 0, 1 when the store refused (the message is on stderr), or
/// CLI11's usage error status.
int runs_main(int argc, char** argv);

}  // namespace braid::durable
