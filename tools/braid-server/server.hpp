// SPDX-License-Identifier: MIT
#pragma once

/// braid-server's body (docs/server.md): link braid::durable_server_main
/// with your durable functions' object files to serve them.
namespace braid::durable::server {
int server_main(int argc, char** argv);
}
