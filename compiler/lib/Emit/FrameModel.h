//===- FrameModel.h - what a generated frame holds -------------------------===//
//
// SPDX-License-Identifier: MIT
//
// The frame of one lowered function as data, independent of the text it
// becomes: its parameters, its kept-local table (kept locals, braidc's
// temporaries, exception holders), the slots of its suspension points, the
// partitions with their code, and the try regions. The lowering fills it;
// FrameEmitter writes it as C++ for a flavour (sp today; ap, cp and durable
// frames add a clone and an encoding of the same table).
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_EMIT_FRAMEMODEL_H
#define BRAIDC_EMIT_FRAMEMODEL_H

#include "Analysis/Flavour.h"
#include "Emit/Emitter.h"

#include <string>
#include <vector>

namespace braidc {

/// A local kept in the frame (a member with manual lifetime): a user's
/// local, a structured binding's object, a temporary or value braidc
/// keeps, an exploded handler's exception.
struct KeptVar {
  std::string Member;     ///< member name
  std::string SourceName; ///< name in the source ("" for braidc's temporaries)
  std::string Type;       ///< spelled type of the member storage
  bool Pointer = false;   ///< a kept reference, stored as a pointer
  bool NeedsDestroy = false;
  std::vector<int> Regions; ///< the try regions around its declaration
  /// The whole member declarator when the type does not read "Type Member"
  /// (a C array, a pointer to one); empty otherwise.
  std::string Declarator;
  /// A trivially destructible local that stayed a plain C++ local of its
  /// partition (every use in the run that declares it): no member.
  bool Dropped = false;
  /// Used in a lambda, or through a pointer or reference that may outlive
  /// the statement: live wherever it is in scope.
  bool Escapes = false;
  /// BRAID_DURABLE: a scalar stored with the run, value-initialized in the
  /// frame (`union { int x{}; };`) so that it never encodes garbage.
  bool ValueInit = false;
};

/// The slot where a suspension point's outcome arrives.
struct FrameSlot {
  std::string Name;
  std::string ValueType;
};

/// How a parameter reaches the frame ([spec.sp.params]).
struct FrameParam {
  enum class Passing {
    Value,      ///< by value or `T&&`: moved into the recipe, then into each frame
    ConstRef,   ///< `const T&`: copied (the task may run after the caller's temporaries died)
    Ref,        ///< `T&`: a reference to the caller's object
    Forwarding, ///< a template's `T&&`: a reference for an lvalue argument, moved otherwise
  };
  std::string Name;
  std::string Type; ///< spelled, without reference and (for Value) without const
  Passing How = Passing::Value;
  bool Const = false; ///< a const by-value parameter
};

/// A member of the frame, in declaration order.
struct FrameMember {
  bool IsSlot = false;
  int Index = -1; ///< into Kept or Slots
};

/// What the clone made at one fork point copies from its template
/// (docs/ap.md "The clone function"): the kept-table entries and the
/// parameters live after the fork.
struct ForkClone {
  int Id = -1;              ///< the value of __braid_fork the fork point sets
  std::vector<int> Kept;    ///< indexes into FrameModel::Kept, declaration order
  std::vector<std::string> Params; ///< names of the live parameters
};

/// A partition where a durable run is stored (docs/durable.md "The frame
/// contract"): its resume site and the kept entries encode writes there.
struct DurableResume {
  int Partition = -1;
  std::string Site;      ///< listen_site, wait_site or call_site
  std::string Slot;
  std::string ValueType; ///< spelled
  std::vector<int> Kept; ///< indexes into FrameModel::Kept, declaration order
};

struct FrameModel {
  /// BRAID_DURABLE: one per stored partition, in partition order.
  std::vector<DurableResume> Durable;
  /// One per fork point (ap, cp); empty for sp.
  std::vector<ForkClone> Forks;
  std::string FunctionName; ///< the stable name (partition names are FunctionName#k)
  std::string FileName;
  std::string ResultType;   ///< the T of task<T>, spelled
  bool IsMethod = false;
  /// Declarations before the frame: aliases naming `auto` parameters' types,
  /// then the body's hoisted types (each with its #line).
  std::vector<std::string> Aliases;
  std::vector<std::string> Hoisted;
  std::vector<FrameParam> Params;
  std::vector<KeptVar> Kept;
  std::vector<FrameSlot> Slots;
  std::vector<FrameMember> Members;
  std::vector<Partition> Partitions;
  std::vector<Region> Regions;
};

} // namespace braidc

#endif
