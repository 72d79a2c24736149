// SPDX-License-Identifier: MIT
#pragma once

/// The one exception type of durable runs ([design.6]): every refusal (an
/// unknown run, an event for another context, a run stored by other code, a
/// store that cannot be opened, bytes that do not decode) is a
/// braid::durable::error whose kind() says which, and whose message names
/// the run, what was expected and what to do. An operation that throws one
/// has changed nothing in the store.

#include <stdexcept>
#include <string>
#include <string_view>

namespace braid::durable {

enum class error_kind {
  codec,             ///< bytes that do not decode as the expected type, or a value that cannot be encoded
  store,             ///< the store cannot be opened or used (I/O, not a braid database, SQL failure)
  corrupt,           ///< a stored row does not decode (the run is left as it was)
  unknown_run,       ///< no run with this id
  unknown_function,  ///< the run's function is not linked into this program
  wrong_context,     ///< the event's context is not the one the run listens for (or it waits for a child)
  not_waiting,       ///< the run is not waiting for an event (it ended, or a step is due)
  bad_event,         ///< the event's payload does not decode as the listen's event type
  conflict,          ///< another process committed a step of this run first
  version_blocked,   ///< the run was stored by different code (see docs/durable.md "Versioning")
  misuse,            ///< a durable operation called where it cannot work (outside a step, ...)
};

/// The name of a kind, as braid-runs prints it ("wrong-context").
std::string_view to_string(error_kind k) noexcept;

class error : public std::runtime_error {
 public:
  error(error_kind k, const std::string& what) : std::runtime_error(what), kind_(k) {}
  error_kind kind() const noexcept { return kind_; }

 private:
  error_kind kind_;
};

/// Thrown by decoding: the message names what was being decoded (and where
/// inside it), what was expected, and what the bytes held instead.
class codec_error : public error {
 public:
  explicit codec_error(const std::string& what) : error(error_kind::codec, what) {}
};

}  // namespace braid::durable
