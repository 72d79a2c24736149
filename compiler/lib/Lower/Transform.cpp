//===- Transform.cpp - braidc's transformation of a translation unit ------===//
//
// SPDX-License-Identifier: MIT
//
// The generated file is the main file with each BRAID_SP body replaced by
// its frame; everything else is copied byte for byte. It starts with a
// banner, `#define BRAID_GENERATED 1` (which turns any leftover park into a
// compile error) and `#line 1 "<file>"`; after each replaced body a #line
// resynchronizes with the source, and every tool-written stretch inside a
// body is preceded by a #line into the generated file itself.
//
//===----------------------------------------------------------------------===//
#include "Lower/Transform.h"

#include "Analysis/ParkFinder.h"
#include "Diag/Diagnoser.h"
#include "Diag/InternalError.h"
#include "Emit/PartitionDump.h"
#include "Emit/Text.h"
#include "Lower/Codecs.h"
#include "Lower/FunctionLowering.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/Stmt.h"
#include "clang/Basic/SourceManager.h"

#include <algorithm>
#include <memory>
#include <set>

#ifndef BRAIDC_VERSION
#define BRAIDC_VERSION "0.0.0"
#endif

using namespace clang;

namespace braidc {

namespace {

/// Replaces each generated-line marker by a #line naming the line after it.
std::string resolveMarkers(const std::string &Code, const std::string &Out) {
  std::string Result;
  Result.reserve(Code.size() + Code.size() / 8);
  size_t Pos = 0;
  unsigned Line = 1;
  const std::string Marker = GeneratedLineMarker;
  while (Pos < Code.size()) {
    size_t NL = Code.find('\n', Pos);
    size_t End = NL == std::string::npos ? Code.size() : NL;
    if (Code.compare(Pos, End - Pos, Marker) == 0)
      Result += "#line " + std::to_string(Line + 1) + " " + cppQuote(Out);
    else
      Result.append(Code, Pos, End - Pos);
    if (NL != std::string::npos)
      Result += '\n';
    Pos = End + 1;
    ++Line;
  }
  return Result;
}

struct Splice {
  unsigned Begin, End;
  std::string Text;
};

/// Where the declaration of \p FD starts, attributes included (the
/// BRAID_DURABLE macro, or a `[[` written out).
unsigned declarationStart(const SourceManager &SM, const FunctionDecl *FD) {
  unsigned B = SM.getFileOffset(SM.getExpansionLoc(FD->getOuterLocStart()));
  for (const Attr *A : FD->attrs()) {
    SourceLocation L = SM.getExpansionLoc(A->getLocation());
    if (L.isValid() && SM.isInMainFile(L))
      B = std::min(B, SM.getFileOffset(L));
  }
  StringRef Buf = SM.getBufferData(SM.getMainFileID());
  unsigned P = B;
  while (P > 0 && (Buf[P - 1] == ' ' || Buf[P - 1] == '\t'))
    --P;
  if (P >= 2 && Buf.substr(P - 2, 2) == "[[")
    B = P - 2;
  return B;
}

/// The codecs of the aggregates \p RDs (BRAID_DURABLE, docs/durable.md
/// "The frame contract"), inserted before \p FD at namespace scope: the
/// namespaces around \p FD are closed, and reopened after them.
std::optional<Splice> aggregateCodecs(ASTContext &Ctx, Diagnoser &Diags, const FunctionDecl *FD,
                                      const std::vector<const CXXRecordDecl *> &RDs, const std::string &File,
                                      bool LineDirectives) {
  const SourceManager &SM = Ctx.getSourceManager();
  std::vector<std::string> Groups; // outermost first: "namespace a::b", "inline namespace v1", "namespace"
  std::vector<const NamespaceDecl *> Chain;
  for (const DeclContext *DC = FD->getDeclContext(); !DC->isTranslationUnit(); DC = DC->getParent()) {
    const auto *ND = dyn_cast<NamespaceDecl>(DC);
    if (!ND) {
      Diags.report(Diag::DurableAggregatePlace, FD->getLocation()) << RDs.front() << FD;
      return std::nullopt;
    }
    Chain.insert(Chain.begin(), ND);
  }
  for (const NamespaceDecl *ND : Chain) {
    std::string Name = ND->isAnonymousNamespace() ? "" : ND->getName().str();
    if (ND->isNested() && !Groups.empty())
      Groups.back() += "::" + std::string(ND->isInline() ? "inline " : "") + Name;
    else
      Groups.push_back(std::string(ND->isInline() ? "inline " : "") + "namespace" + (Name.empty() ? "" : " " + Name));
  }
  unsigned B = declarationStart(SM, FD);
  StringRef Buf = SM.getBufferData(SM.getMainFileID());
  std::string T;
  if (B > 0 && Buf[B - 1] != '\n')
    T += "\n";
  if (LineDirectives)
    T += std::string(GeneratedLineMarker) + "\n";
  for (size_t I = 0; I < Groups.size(); ++I)
    T += "}  // " + Groups[Groups.size() - 1 - I] + "\n";
  T += "// braidc: the codecs of the aggregates " + FD->getNameAsString() + " stores (docs/durable.md)\n";
  for (const CXXRecordDecl *RD : RDs)
    T += aggregateCodecText(Ctx, RD);
  for (const std::string &G : Groups)
    T += G + " {\n";
  if (LineDirectives)
    T += "#line " + std::to_string(SM.getLineNumber(SM.getMainFileID(), B)) + " " + cppQuote(File) + "\n";
  return Splice{B, B, std::move(T)};
}

} // namespace

TransformResult transformTranslationUnit(ASTContext &Ctx, Sema &, const TransformOptions &Opts) {
  TransformResult Result;
  Diagnoser Diags(Ctx.getDiagnostics(), Opts.Warnings);
  const SourceManager &SM = Ctx.getSourceManager();
  ParkFinder Finder(Ctx, Diags);
  std::vector<SpFunction> Functions = Finder.run();

  std::vector<Splice> Splices;
  std::vector<DumpedFunction> Dumped;
  FileID Main = SM.getMainFileID();
  StringRef Buf = SM.getBufferData(Main);
  std::string File = Opts.MainFileName.empty()
                         ? SM.getFileEntryRefForID(Main)->getName().str()
                         : Opts.MainFileName;

  // BRAID_DURABLE: the codecs the translation unit declares, and the
  // aggregates whose codecs this file already writes.
  std::unique_ptr<CodecIndex> Codecs;
  std::set<const CXXRecordDecl *> Written;
  for (const SpFunction &F : Functions) {
    if (F.Kind == Flavour::Durable && !Codecs)
      Codecs = std::make_unique<CodecIndex>(Ctx);
    FunctionLowering FL(Ctx, Diags, F, Opts.LineDirectives, File);
    FL.setCodecIndex(Codecs.get());
    std::optional<LoweredFunction> LF = FL.run();
    if (!LF)
      continue;
    std::vector<const CXXRecordDecl *> Needed;
    for (const CXXRecordDecl *RD : LF->Aggregates)
      if (!Written.count(RD))
        Needed.push_back(RD);
    if (!Needed.empty()) {
      std::optional<Splice> S = aggregateCodecs(Ctx, Diags, F.FD, Needed, File, Opts.LineDirectives);
      if (!S)
        continue;
      Written.insert(Needed.begin(), Needed.end());
      Splices.push_back(std::move(*S));
    }
    const auto *Body = dyn_cast<CompoundStmt>(F.FD->getBody());
    if (!Body)
      throw InternalError("function body is not a compound statement");
    SourceLocation LB = SM.getExpansionLoc(Body->getLBracLoc());
    SourceLocation RB = SM.getExpansionLoc(Body->getRBracLoc());
    if (SM.getFileID(LB) != Main || SM.getFileID(RB) != Main) {
      Diags.report(Diag::ParkInMacro, F.FD->getLocation()) << "the function body";
      continue;
    }
    unsigned B = SM.getFileOffset(LB);
    unsigned E = SM.getFileOffset(RB) + 1;
    // Keep the rest of the closing brace's line, then resynchronize.
    size_t NL = Buf.find('\n', E);
    unsigned LineEnd = NL == StringRef::npos ? Buf.size() : static_cast<unsigned>(NL);
    std::string Text = LF->Body + Buf.substr(E, LineEnd - E).str();
    if (Opts.LineDirectives && NL != StringRef::npos)
      Text += "\n#line " + std::to_string(SM.getLineNumber(Main, E) + 1) + " " + cppQuote(File);
    Splices.push_back({B, LineEnd, std::move(Text)});
    Dumped.push_back({LF->Name, LF->Partitions, LF->Regions});
    ++Result.Functions;
  }

  if (Diags.hadErrors() || Ctx.getDiagnostics().hasErrorOccurred()) {
    Result.HadUserErrors = true;
    Result.Functions = 0;
    return Result;
  }

  std::sort(Splices.begin(), Splices.end(),
            [](const Splice &A, const Splice &B) { return A.Begin < B.Begin; });
  std::string Code = "// Generated by braidc " BRAIDC_VERSION " from " + File + ". Do not edit.\n";
  Code += "#define BRAID_GENERATED 1\n";
  if (Opts.LineDirectives)
    Code += "#line 1 " + cppQuote(File) + "\n";
  unsigned Pos = 0;
  for (const Splice &S : Splices) {
    if (S.Begin < Pos)
      throw InternalError("overlapping function bodies");
    Code += Buf.substr(Pos, S.Begin - Pos).str();
    Code += S.Text;
    Pos = S.End;
  }
  Code += Buf.substr(Pos).str();
  std::string Out = Opts.OutputFileName.empty() ? File + ".braid.cpp" : Opts.OutputFileName;
  Result.Code = Opts.LineDirectives ? resolveMarkers(Code, Out) : Code;
  if (Opts.Dump != DumpFormat::None)
    Result.Dump = renderPartitions(Dumped, Opts.Dump, File);
  return Result;
}

} // namespace braidc
