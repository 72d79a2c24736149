// SPDX-License-Identifier: MIT
#include "server.hpp"

#include <braid/durable/error.hpp>

#include <iostream>

int main(int argc, char** argv) {
  try {
    return braid::durable::server::server_main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "braid-server: " << e.what() << "\n";
    return 1;
  }
}
