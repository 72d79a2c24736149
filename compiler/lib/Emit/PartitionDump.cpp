//===- PartitionDump.cpp - render continuation tables (text, JSON, DOT) ---===//
//
// SPDX-License-Identifier: MIT
//
//===----------------------------------------------------------------------===//
#include "Emit/PartitionDump.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

namespace braidc {

namespace {

std::string joined(const std::vector<std::string> &V) {
  std::string Out;
  for (const std::string &S : V)
    Out += (Out.empty() ? "" : ", ") + S;
  return Out;
}

std::string dotEscape(const std::string &S) {
  std::string Out;
  for (char C : S) {
    if (C == '"' || C == '\\')
      Out += '\\';
    Out += C;
  }
  return Out;
}

} // namespace

std::string renderPartitions(const std::vector<DumpedFunction> &Fns, DumpFormat Format,
                             const std::string &File) {
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  switch (Format) {
  case DumpFormat::None:
    break;
  case DumpFormat::Text:
    for (const DumpedFunction &F : Fns) {
      OS << "function " << F.Name << " (" << F.Partitions.size() << " partitions, "
         << F.Regions.size() << " try regions)\n";
      for (size_t I = 0; I < F.Partitions.size(); ++I) {
        const Partition &P = F.Partitions[I];
        OS << "  " << F.Name << "#" << I << "  " << P.Kind << "  " << File << ":" << P.Line << ":"
           << P.Col << "  region " << P.Region << "  live [" << joined(P.Live) << "]  next [";
        for (size_t J = 0; J < P.Next.size(); ++J)
          OS << (J ? ", " : "") << P.Next[J];
        OS << "]";
        if (P.Kind == "fork")
          OS << "  clone [" << joined(P.Clone) << "]";
        OS << "\n";
      }
      for (size_t R = 0; R < F.Regions.size(); ++R)
        OS << "  region " << R << "  handler " << F.Name << "#" << F.Regions[R].Handler
           << "  parent " << F.Regions[R].Parent << "\n";
    }
    break;
  case DumpFormat::Json: {
    llvm::json::Array Functions;
    for (const DumpedFunction &F : Fns) {
      llvm::json::Array Parts;
      for (size_t I = 0; I < F.Partitions.size(); ++I) {
        const Partition &P = F.Partitions[I];
        llvm::json::Array Live, Next;
        for (const std::string &L : P.Live)
          Live.push_back(L);
        for (int N : P.Next)
          Next.push_back(N);
        llvm::json::Object O{{"index", static_cast<int64_t>(I)},
                             {"name", F.Name + "#" + std::to_string(I)},
                             {"kind", P.Kind},
                             {"file", File},
                             {"line", P.Line},
                             {"column", P.Col},
                             {"region", P.Region},
                             {"live", std::move(Live)},
                             {"next", std::move(Next)}};
        if (P.Kind == "fork") {
          llvm::json::Array Clone;
          for (const std::string &C : P.Clone)
            Clone.push_back(C);
          O["clone"] = std::move(Clone);
        }
        Parts.push_back(std::move(O));
      }
      llvm::json::Array Regions;
      for (const Region &R : F.Regions)
        Regions.push_back(llvm::json::Object{{"handler", R.Handler}, {"parent", R.Parent}});
      Functions.push_back(llvm::json::Object{
          {"function", F.Name}, {"partitions", std::move(Parts)}, {"regions", std::move(Regions)}});
    }
    OS << llvm::formatv("{0:2}", llvm::json::Value(std::move(Functions))) << "\n";
    break;
  }
  case DumpFormat::Dot:
    OS << "digraph braid {\n  node [shape=box, fontname=monospace];\n";
    for (size_t FI = 0; FI < Fns.size(); ++FI) {
      const DumpedFunction &F = Fns[FI];
      OS << "  subgraph cluster_" << FI << " {\n    label=\"" << dotEscape(F.Name) << "\";\n";
      for (size_t I = 0; I < F.Partitions.size(); ++I) {
        const Partition &P = F.Partitions[I];
        OS << "    f" << FI << "_" << I << " [label=\"" << dotEscape(F.Name) << "#" << I << " ("
           << P.Kind << ")\\n" << dotEscape(File) << ":" << P.Line << ":" << P.Col << "\\nlive: "
           << dotEscape(joined(P.Live)) << "\"];\n";
      }
      for (size_t I = 0; I < F.Partitions.size(); ++I)
        for (int N : F.Partitions[I].Next)
          OS << "    f" << FI << "_" << I << " -> f" << FI << "_" << N << ";\n";
      for (size_t R = 0; R < F.Regions.size(); ++R)
        for (size_t I = 0; I < F.Partitions.size(); ++I)
          if (F.Partitions[I].Region == static_cast<int>(R))
            OS << "    f" << FI << "_" << I << " -> f" << FI << "_" << F.Regions[R].Handler
               << " [style=dashed, label=\"throw\"];\n";
      OS << "  }\n";
    }
    OS << "}\n";
    break;
  }
  return Out;
}

} // namespace braidc
