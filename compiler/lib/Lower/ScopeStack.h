//===- ScopeStack.h - the constructs around the code being lowered --------===//
//
// SPDX-License-Identifier: MIT
//
// While a body is lowered, the lowering knows which C++ constructs of the
// source enclose the code it writes (Regenerator's leap manager, clang's
// EHScopeStack and JumpDest):
//   - block scopes, innermost last, with the kept locals each declares (in
//     declaration order) and the lookup-only declarations in effect;
//   - the loops and switches that break and continue target ("leaps"): the
//     labels they jump to and how many scopes a jump leaves;
//   - the exploded handlers, whose held exception `throw;` rethrows;
//   - the innermost exploded try region.
// Each is entered and left through a guard (FunctionLowering::BlockScope,
// LeapScope, RegionScope, HandlerScope) so that no path forgets to pop.
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_LOWER_SCOPESTACK_H
#define BRAIDC_LOWER_SCOPESTACK_H

#include <cstddef>
#include <string>
#include <vector>

namespace braidc {

struct ScopeStack {
  struct Scope {
    std::vector<int> Vars; ///< indexes into the kept-local table, in declaration order
    int Id = -1;           ///< serial number in the pass (goto's common ancestor)
    /// using-declarations and the like in effect (LocalDecls.cpp).
    std::vector<std::string> Lookup;
  };
  struct Leap {
    bool IsLoop;
    int Break;
    int Continue;
    size_t Depth; ///< scopes at index >= Depth are left by the jump
  };

  std::vector<Scope> Scopes;
  std::vector<Leap> Leaps;
  std::vector<std::string> Handlers; ///< exception holders of exploded handlers
  int Region = -1;                   ///< the innermost exploded try region
  int Serial = 0;

  void clear() { *this = ScopeStack(); }
};

} // namespace braidc

#endif
