// SPDX-License-Identifier: MIT
#include <braid/cancelled.hpp>
#include <braid/op/race.hpp>

#include <string>

namespace braid {

namespace {

std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (const cancelled& c) {
    return std::string("cancelled (") + c.what() + ")";
  } catch (...) {
    return "an exception of unknown type";
  }
}

std::string summary(const std::vector<std::exception_ptr>& errors) {
  if (errors.empty()) return "braid::race: no task to race";
  std::string s = "braid::race: all " + std::to_string(errors.size()) +
                  (errors.size() == 1 ? " task failed" : " tasks failed");
  if (errors.front()) s += "; first error: " + describe(errors.front());
  return s;
}

}  // namespace

race_error::race_error(std::vector<std::exception_ptr> errors)
    : errors_(std::make_shared<const std::vector<std::exception_ptr>>(std::move(errors))),
      what_(std::make_shared<const std::string>(summary(*errors_))) {}

}  // namespace braid
