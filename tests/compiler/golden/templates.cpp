// SPDX-License-Identifier: MIT
// Golden dump: partitions of a template are named after its pattern (the
// template's parameters, the parameter types as written), one name for
// every instantiation.
#include <braid/braid.hpp>

#include <string>

namespace app {

template <class T, int N>
BRAID_SP braid::task<T> repeat(braid::task<T> t) {
  T out{};
  for (int i = 0; i < N; ++i)
    out = out + braid::park(t);
  return out;
}

template <class T>
struct box {
  T base;
  BRAID_SP braid::task<T> add(braid::task<T> t) const { return base + braid::park(t); }
  template <class U>
  BRAID_SP braid::task<T> add_as(braid::task<U> u) { return base + T(braid::park(u)); }
};

BRAID_SP braid::task<std::string> show(auto t) { return std::to_string(braid::park(t)); }

}  // namespace app
