//===- Liveness.h - which kept locals are live where ------------------------===//
//
// SPDX-License-Identifier: MIT
//
// After a function is lowered: for each partition, the entries of the
// kept-local table (user locals, structured bindings, braidc's temporaries,
// held exceptions) that are live at its entry. An entry is live at a
// partition when it is in scope there (constructed, not yet destroyed) and
// has a destructor still to run, or may be used through a pointer or a
// lambda from anywhere, or may be read by this partition or one it leads to. This is what a fork must copy into each branch and what
// a durable frame must encode at a suspension point; the dumps and the
// continuation table show it.
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_ANALYSIS_LIVENESS_H
#define BRAIDC_ANALYSIS_LIVENESS_H

#include "Emit/FrameModel.h"

#include <vector>

namespace braidc {

/// Fills Partition::LiveIn of every partition (successors in Next, entries
/// in scope in InScope, uses in Uses), by the usual backward fixpoint:
///   LiveIn(P) = InScope(P) ∩ (Uses(P) ∪ Destroyable ∪ ⋃ LiveIn(S)),
/// S over Next(P) and the handler of P's try region (an exception can leave
/// P there at any point).
void computeLiveness(std::vector<Partition> &Parts, const std::vector<Region> &Regions,
                     const std::vector<KeptVar> &Kept);

/// Adds to each partition's Uses the entries its code names through the
/// frame (`this->m`, `self->m`): every access but a copied use of a local
/// that kept its source name, which the lowering records itself.
void collectFrameAccesses(std::vector<Partition> &Parts, const std::vector<KeptVar> &Kept);

} // namespace braidc

#endif
