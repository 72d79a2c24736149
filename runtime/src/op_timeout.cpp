// SPDX-License-Identifier: MIT
#include <braid/op/timeout.hpp>

#include <string>

namespace braid {

timed_out::timed_out(std::int64_t ms)
    : std::runtime_error("braid::timeout: the task did not complete within " + std::to_string(ms) + " ms"),
      ms_(ms) {}

}  // namespace braid
