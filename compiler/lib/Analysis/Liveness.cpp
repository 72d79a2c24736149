//===- Liveness.cpp - which kept locals are live where ----------------------===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Analysis/Liveness.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace braidc {

namespace {

bool identifierChar(char C) { return std::isalnum(static_cast<unsigned char>(C)) || C == '_'; }

/// Whether \p Code has `this->Member` or `self->Member` as whole tokens.
bool accesses(const std::string &Code, const std::string &Member) {
  for (const char *Via : {"this->", "self->"}) {
    std::string Needle = Via + Member;
    for (size_t Pos = Code.find(Needle); Pos != std::string::npos; Pos = Code.find(Needle, Pos + 1)) {
      size_t End = Pos + Needle.size();
      bool Before = Pos == 0 || !identifierChar(Code[Pos - 1]) || Code.compare(Pos - 2, 2, "->") == 0;
      if (Before && (End == Code.size() || !identifierChar(Code[End])))
        return true;
    }
  }
  return false;
}

} // namespace

void collectFrameAccesses(std::vector<Partition> &Parts, const std::vector<KeptVar> &Kept) {
  for (Partition &P : Parts)
    for (size_t K = 0; K < Kept.size(); ++K)
      if (!Kept[K].Dropped && accesses(P.Code, Kept[K].Member))
        P.Uses.insert(static_cast<int>(K));
}

void computeLiveness(std::vector<Partition> &Parts, const std::vector<Region> &Regions,
                     const std::vector<KeptVar> &Kept) {
  std::vector<std::set<int>> In(Parts.size());
  for (bool Changed = true; Changed;) {
    Changed = false;
    for (size_t I = Parts.size(); I-- > 0;) {
      const Partition &P = Parts[I];
      std::set<int> Want(P.Uses.begin(), P.Uses.end());
      for (int S : P.Next)
        Want.insert(In[S].begin(), In[S].end());
      if (P.Region >= 0) {
        const std::set<int> &H = In[Regions[P.Region].Handler];
        Want.insert(H.begin(), H.end());
      }
      std::set<int> Live;
      for (int K : P.InScope)
        if (!Kept[K].Dropped && (Kept[K].NeedsDestroy || Kept[K].Escapes || Want.count(K)))
          Live.insert(K);
      if (Live != In[I]) {
        In[I] = std::move(Live);
        Changed = true;
      }
    }
  }
  for (size_t I = 0; I < Parts.size(); ++I) {
    // In the table's order: the order the entries were made (scope order).
    Parts[I].LiveIn.clear();
    for (int K : Parts[I].InScope)
      if (In[I].count(K))
        Parts[I].LiveIn.push_back(K);
  }
}

} // namespace braidc
