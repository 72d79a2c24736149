// SPDX-License-Identifier: MIT
#pragma once

#include <exception>

namespace braid {

/// The cancellation exception: thrown at the suspension point of a cancelled
/// process and delivered as the failure of a cancelled built-in task.
///
/// It deliberately does not derive from std::exception, so that
/// `catch (const std::exception&)` in user code does not swallow a
/// cancellation ([spec.task.cancel]); catch it by name or with `catch (...)`.
/// It records no stack trace and owns nothing: copying it is free.
class cancelled {
 public:
  constexpr cancelled() noexcept = default;
  /// `why` must be a string literal (or otherwise outlive every copy).
  constexpr explicit cancelled(const char* why) noexcept : why_(why) {}
  constexpr const char* what() const noexcept { return why_; }

 private:
  const char* why_ = "braid::cancelled";
};

/// A new exception_ptr holding `cancelled(why)`.
std::exception_ptr cancelled_error(const char* why = "braid::cancelled");

/// True when `e` holds a braid::cancelled.
bool is_cancelled(const std::exception_ptr& e) noexcept;

}  // namespace braid
