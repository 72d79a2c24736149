//===- Emitter.cpp - partitions, labels and jumps of one frame ------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Emit/Emitter.h"

#include "Diag/InternalError.h"

#include <algorithm>
#include <numeric>
#include <string>

namespace braidc {

namespace {

// Markers inside partition code: \x1e L <n> \x1e for a label, \x1e D <n>
// \x1e for deferred text. \x1e (record separator) cannot occur in C++
// source text braidc copies (it is not in the basic character set and
// would be a stray character in any token), so a marker is unambiguous.
constexpr char MarkerChar = '\x1e';

std::string marker(char Kind, int N) {
  return std::string(1, MarkerChar) + Kind + std::to_string(N) + MarkerChar;
}

/// Replaces each marker of \p Kind in \p Text by \p F(n).
template <class Fn> std::string substitute(const std::string &Text, char Kind, Fn F) {
  std::string Out;
  size_t Pos = 0;
  for (;;) {
    size_t B = Text.find(MarkerChar, Pos);
    while (B != std::string::npos && (B + 1 >= Text.size() || Text[B + 1] != Kind))
      B = Text.find(MarkerChar, Text.find(MarkerChar, B + 1) + 1);
    if (B == std::string::npos)
      break;
    size_t E = Text.find(MarkerChar, B + 1);
    if (E == std::string::npos)
      throw InternalError("unterminated marker in generated code");
    Out.append(Text, Pos, B - Pos);
    Out += F(std::stoi(Text.substr(B + 2, E - B - 2)));
    Pos = E + 1;
  }
  Out.append(Text, Pos, std::string::npos);
  return Out;
}

} // namespace

int Emitter::newLabel() {
  Parts.emplace_back();
  Edges.emplace_back();
  Parts.back().Label = static_cast<int>(Parts.size()) - 1;
  return static_cast<int>(Parts.size()) - 1;
}

std::string Emitter::labelRef(int L) {
  if (Current >= 0)
    Edges[Current].insert(L);
  return marker('L', L);
}

int Emitter::newDeferred() {
  Deferred.emplace_back();
  DeferredSet.push_back(false);
  return static_cast<int>(Deferred.size()) - 1;
}

std::string Emitter::deferredRef(int Id) { return marker('D', Id); }

void Emitter::setDeferred(int Id, std::string Text) {
  Deferred[Id] = std::move(Text);
  DeferredSet[Id] = true;
}

std::string Emitter::resolveDeferred(const std::string &Text) const {
  return substitute(Text, 'D', [&](int Id) {
    if (Id < 0 || Id >= static_cast<int>(Deferred.size()) || !DeferredSet[Id])
      throw InternalError("deferred text " + std::to_string(Id) + " was never settled");
    return resolveDeferred(Deferred[Id]);
  });
}

void Emitter::jump(int L) {
  bool Only = Current >= 0 && !Parts[Current].HasContent;
  terminate(jumpText(L), false);
  if (Only)
    Parts[Current].OnlyJumpsTo = L;
}

void Emitter::mark(int L, unsigned Line, unsigned Col, int Region, std::vector<int> InScope,
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
  P.InScope = std::move(InScope);
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

// Tool-written code inside a partition (jumps, destruction, the moves of a
// park's value) cannot fail to compile where the user's code compiles, so
// it carries no #line of its own: it is counted as the lines after the
// user statement it follows, the statement it belongs to.
void Emitter::toolMode() { InUserMode = false; }

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
  Parts[Current].HasContent = true;
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
  if (Current >= 0 && !Text.empty())
    Parts[Current].HasContent = true;
  toolMode();
  append("    " + Text.str() + "\n");
}

void Emitter::finalize() {
  // Where each label leads once trampolines are folded: a partition that
  // only jumps on (not the entry, not a region's handler) is replaced by
  // its target, transitively.
  std::vector<bool> Handler(Parts.size());
  for (const Region &R : Regions)
    Handler[R.Handler] = true;
  auto Folded = [&](int L) {
    for (size_t Steps = 0; Steps <= Parts.size(); ++Steps) {
      const Partition &P = Parts[L];
      if (L == 0 || Handler[L] || P.OnlyJumpsTo < 0 || P.OnlyJumpsTo == L)
        return L;
      L = P.OnlyJumpsTo;
    }
    throw InternalError("a cycle of partitions that only jump");
  };
  std::vector<int> Kept;
  for (size_t I = 0; I < Parts.size(); ++I)
    if (Folded(static_cast<int>(I)) == static_cast<int>(I))
      Kept.push_back(static_cast<int>(I));
  // Source order; the entry stays first.
  std::stable_sort(Kept.begin() + 1, Kept.end(), [&](int A, int B) {
    if (Parts[A].Line != Parts[B].Line)
      return Parts[A].Line < Parts[B].Line;
    return Parts[A].Col < Parts[B].Col;
  });
  std::vector<int> Number(Parts.size(), -1);
  for (size_t I = 0; I < Kept.size(); ++I)
    Number[Kept[I]] = static_cast<int>(I);
  auto Final = [&](int L) { return Number[Folded(L)]; };
  std::vector<Partition> Out;
  for (int L : Kept) {
    Partition P = std::move(Parts[L]);
    P.Code = substitute(resolveDeferred(P.Code), 'L', [&](int T) { return std::to_string(Final(T)); });
    std::set<int> Next;
    for (int T : Edges[L])
      Next.insert(Final(T));
    P.Next.assign(Next.begin(), Next.end());
    Out.push_back(std::move(P));
  }
  for (Region &R : Regions)
    R.Handler = Final(R.Handler);
  Parts = std::move(Out);
  Edges.clear();
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
