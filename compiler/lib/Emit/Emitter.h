//===- Emitter.h - partitions, labels and jumps of one frame --------------===//
//
// SPDX-License-Identifier: MIT
//
// The lowering writes code through an Emitter (regenerator's emitter: a
// listing with forward labels and jumps). A label is a partition index; a
// jump is `return __braid_step{k};`. Every label is a partition start, so a
// partition runs straight C++ until it parks, jumps or finishes.
//
// Some text is settled only after the whole body is lowered: the final
// number of each partition (partitions are numbered in source order, and a
// partition that only jumps on is folded into its target), and "deferred"
// text (whether a trivially destructible local is kept in the frame depends
// on all its uses; a forward goto's destruction list on where its label is).
// Such text is written as a marker (labelRef, deferredRef) and replaced by
// finalize().
//
// User statements are written inside "runs": consecutive statements of one
// block in one partition share a `{ ... }` scope, so locals that never cross
// a partition boundary stay ordinary C++ locals. Each user statement gets a
// `#line N "file"`; tool-written code after it (a jump, destruction) counts
// as the lines that follow, since it cannot fail to compile on its own
// (FrameEmitter writes the few `#line`s back into the generated file).
//
//===----------------------------------------------------------------------===//
#ifndef BRAIDC_EMIT_EMITTER_H
#define BRAIDC_EMIT_EMITTER_H

#include "llvm/ADT/StringRef.h"

#include <set>
#include <string>
#include <vector>

namespace braidc {

/// The marker line standing for "#line <next generated line> <output>".
inline constexpr const char *GeneratedLineMarker = "#line __BRAIDC_GENERATED_LINE__";

/// One partition: a member function of the frame and its table row.
struct Partition {
  std::string Code;
  unsigned Line = 0;
  unsigned Col = 0;
  int Region = -1;
  /// The names of the user's kept locals live at the entry (LiveIn's).
  std::vector<std::string> Live;
  /// At a fork point's partition (kind "fork"): what the clone of the frame
  /// copies there, parameters and kept locals (braidc's own entries by
  /// their member names).
  std::vector<std::string> Clone;
  /// Entries of the lowering's kept-local table in scope at the entry, in
  /// the order they were made; those live there (Analysis/Liveness.h); and
  /// those the partition's code uses.
  std::vector<int> InScope;
  std::vector<int> LiveIn;
  std::set<int> Uses;
  std::string Kind; ///< entry, resume, label, handler
  bool Defined = false;
  /// Marked where no code reaches it (after a return, after a loop that
  /// never ends): the C++ source's own dead code, which may stay unreachable.
  bool DeadAtMark = false;
  /// Successors (jumps, resumes), filled by Emitter::finalize.
  std::vector<int> Next;
  /// Anything written besides run braces and a final jump.
  bool HasContent = false;
  /// The label it only jumps to (a trampoline), or -1.
  int OnlyJumpsTo = -1;
  /// The label this partition was created as (its number before finalize).
  int Label = -1;
};

/// An exploded try region: where the driver routes an exception.
struct Region {
  int Handler = -1;
  int Parent = -1;
};

class Emitter {
public:
  Emitter(bool LineDirectives, std::string FileName)
      : LineDirectives(LineDirectives), FileName(std::move(FileName)) {}

  /// A new, not yet defined label.
  int newLabel();
  /// Starts partition \p L here. An open partition falls through to it.
  void mark(int L, unsigned Line, unsigned Col, int Region, std::vector<int> InScope,
            const char *Kind);
  /// The current partition uses kept-local entry \p K.
  void use(int K) {
    if (Current >= 0)
      Parts[Current].Uses.insert(K);
  }
  /// True while the current partition can still run off its end.
  bool isOpen() const { return Current >= 0 && Open; }
  int current() const { return Current; }

  /// A user statement at \p Line:\p Col, inside the current run.
  void user(unsigned Line, unsigned Col, llvm::StringRef Text);
  /// Tool-written code (outside any run unless \p InRun).
  void tool(llvm::StringRef Text, bool InRun = false);
  /// The text of a jump to \p L (recorded as an edge).
  std::string jumpText(int L) { return "return __braid_step{" + labelRef(L) + "};"; }
  /// The text standing for label \p L's final partition number (recorded as
  /// an edge of the current partition).
  std::string labelRef(int L);
  /// A piece of text settled later: its marker, and the text it stands for
  /// (which may contain other markers).
  int newDeferred();
  static std::string deferredRef(int Id);
  void setDeferred(int Id, std::string Text);
  /// `return <Text>;` that ends the partition (a park, a finish, a jump).
  void terminate(llvm::StringRef Text, bool InRun);
  void jump(int L);

  void openRun();
  void closeRun();
  /// Code written at the start of every run from now on (declarations that
  /// only affect name lookup, in effect where the run starts).
  void setRunPrologue(std::string Text) { Prologue = std::move(Text); }
  /// The current run (-1 outside runs). Runs are numbered per emitter.
  int run() const { return RunOpen ? RunId : -1; }

  /// Regions.
  int newRegion(int Parent);
  void setHandler(int R, int L) { Regions[R].Handler = L; }

  std::vector<Partition> &partitions() { return Parts; }
  const std::vector<Region> &regions() const { return Regions; }

  /// Checks the machine's invariants: every label defined exactly once,
  /// every jump target defined, every partition reachable from the entry,
  /// every region's handler defined. Throws InternalError.
  void verify(const std::string &Function) const;
  /// Settles the deferred text, folds the partitions that only jump on into
  /// their targets, numbers the rest in source order (line, column, then
  /// creation), rewrites every label reference and region handler to the
  /// final numbers, and fills each partition's successors.
  void finalize();
  /// The text with every deferred marker replaced (labels left as markers).
  std::string resolveDeferred(const std::string &Text) const;

  /// A #line directive for \p Line (empty when disabled).
  std::string lineDirective(unsigned Line) const;

private:
  void append(llvm::StringRef Text);
  void toolMode();

  bool LineDirectives;
  std::string FileName;
  std::vector<Partition> Parts;
  std::vector<std::set<int>> Edges;
  std::vector<std::string> Deferred;
  std::vector<bool> DeferredSet;
  std::vector<Region> Regions;
  int Current = -1;
  bool Open = false;
  bool RunOpen = false;
  int RunId = -1;
  int Runs = 0;
  bool InUserMode = false;
  std::string Prologue;
};

} // namespace braidc

#endif
