//===- Emitter.cpp - partitions, labels and jumps of one frame ------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Emit/Emitter.h"

#include "Diag/InternalError.h"

#include <string>

namespace braidc {

int Emitter::newLabel() {
  Parts.emplace_back();
  Edges.emplace_back();
  return static_cast<int>(Parts.size()) - 1;
}

void Emitter::mark(int L, unsigned Line, unsigned Col, int Region, std::vector<std::string> Live,
                   const char *Kind) {
  bool Reached = isOpen() || L == 0;
  for (const std::set<int> &E : Edges)
    Reached = Reached || E.count(L);
  if (isOpen())
    jump(L);
  closeRun();
  if (Parts[L].Defined)
    throw InternalError("partition " + std::to_string(L) + " defined twice");
  Partition &P = Parts[L];
  P.Defined = true;
  P.Line = Line;
  P.Col = Col;
  P.Region = Region;
  P.Live = std::move(Live);
  P.Kind = Kind;
  P.DeadAtMark = !Reached && std::string(Kind) != "handler";
  Current = L;
  Open = true;
  InUserMode = false;
}

std::string Emitter::lineDirective(unsigned Line) const {
  if (!LineDirectives)
    return "";
  std::string Escaped;
  for (char C : FileName) {
    if (C == '\\' || C == '"')
      Escaped += '\\';
    Escaped += C;
  }
  return "#line " + std::to_string(Line) + " \"" + Escaped + "\"\n";
}

void Emitter::append(llvm::StringRef Text) {
  if (Current < 0)
    throw InternalError("code emitted outside any partition");
  Parts[Current].Code += Text.str();
}

void Emitter::toolMode() {
  if (InUserMode && LineDirectives)
    append(std::string(GeneratedLineMarker) + "\n");
  InUserMode = false;
}

void Emitter::openRun() {
  if (RunOpen)
    return;
  toolMode();
  append("    {\n" + Prologue);
  RunOpen = true;
  RunId = Runs++;
}

void Emitter::closeRun() {
  if (!RunOpen)
    return;
  toolMode();
  append("    }\n");
  RunOpen = false;
}

void Emitter::user(unsigned Line, unsigned Col, llvm::StringRef Text) {
  openRun();
  std::string S = lineDirective(Line);
  S.append(Col > 1 ? Col - 1 : 0, ' ');
  S += Text.str();
  S += "\n";
  append(S);
  InUserMode = LineDirectives;
}

void Emitter::tool(llvm::StringRef Text, bool InRun) {
  if (!InRun)
    closeRun();
  toolMode();
  append("    " + Text.str() + "\n");
}

std::string Emitter::jumpText(int L) {
  if (Current >= 0)
    Edges[Current].insert(L);
  return "return __braid_step{" + std::to_string(L) + "};";
}

void Emitter::finalize() {
  for (size_t I = 0; I < Parts.size(); ++I)
    Parts[I].Next.assign(Edges[I].begin(), Edges[I].end());
}

void Emitter::terminate(llvm::StringRef Text, bool InRun) {
  if (!Text.empty())
    tool(Text, InRun);
  closeRun();
  Open = false;
}

int Emitter::newRegion(int Parent) {
  Regions.push_back({-1, Parent});
  return static_cast<int>(Regions.size()) - 1;
}

void Emitter::verify(const std::string &Function) const {
  auto Fail = [&](const std::string &What) {
    throw InternalError("invalid state machine for '" + Function + "': " + What);
  };
  if (Parts.empty() || !Parts[0].Defined)
    Fail("no entry partition");
  for (size_t I = 0; I < Parts.size(); ++I) {
    if (!Parts[I].Defined)
      Fail("label " + std::to_string(I) + " is used but never defined");
    for (int T : Edges[I])
      if (T < 0 || T >= static_cast<int>(Parts.size()) || !Parts[T].Defined)
        Fail("partition " + std::to_string(I) + " jumps to undefined " + std::to_string(T));
    if (Parts[I].Region >= static_cast<int>(Regions.size()))
      Fail("partition " + std::to_string(I) + " has an unknown region");
  }
  for (size_t R = 0; R < Regions.size(); ++R) {
    if (Regions[R].Handler < 0 || !Parts[Regions[R].Handler].Defined)
      Fail("region " + std::to_string(R) + " has no handler");
    if (Regions[R].Parent >= static_cast<int>(R))
      Fail("region " + std::to_string(R) + " has a later parent");
  }
  // Reachability: jumps and resumes, plus a region's handler as soon as a
  // partition inside the region (or a nested one) is reachable.
  // Dead source code (DeadAtMark) and what only it reaches may stay
  // unreachable; anything else unreachable is a lowering bug.
  std::vector<bool> Seen(Parts.size());
  std::vector<int> Work{0};
  Seen[0] = true;
  for (size_t I = 1; I < Parts.size(); ++I)
    if (Parts[I].DeadAtMark) {
      Seen[I] = true;
      Work.push_back(static_cast<int>(I));
    }
  auto Push = [&](int T) {
    if (!Seen[T]) {
      Seen[T] = true;
      Work.push_back(T);
    }
  };
  while (!Work.empty()) {
    int P = Work.back();
    Work.pop_back();
    for (int T : Edges[P])
      Push(T);
    for (int R = Parts[P].Region; R >= 0; R = Regions[R].Parent)
      Push(Regions[R].Handler);
  }
  for (size_t I = 0; I < Parts.size(); ++I)
    if (!Seen[I])
      Fail("partition " + std::to_string(I) + " is unreachable");
}

} // namespace braidc
