// SPDX-License-Identifier: MIT
// Templates (behave/templates.cpp): what a pattern cannot say soundly is refused.
// A kept local whose dependent type is an alias declared in the body that
// braidc cannot move before the frame (LocalDecls.cpp): its name also names
// the alias template `list` outside the function, which the body uses
// before the block, so moving the local alias to the top would change
// what that use names. (An alias that can move is spelled by its name:
// behave/templates.cpp.)
#include <braid/braid.hpp>

#include <vector>

template <class T>
using list = std::vector<T>;

template <class T>
BRAID_SP braid::task<T> last(braid::task<T> t) {
  list<T> before{T()};
  {
    using list = std::vector<T>;
    // expected-error@+1:10 {{local 'xs' of a dependent type kept across a park (it is declared in the function's body) is not supported in a BRAID_SP function that parks; write the type of 'xs'}}
    list xs;
    xs.push_back(braid::park(t));
    return xs.back() + before.back();
  }
}

int use() { return braid::run_blocking(last(braid::task<int>(1))); }
