//===- LowerDurable.cpp - BRAID_DURABLE: what a stored run holds ----------===//
//
// SPDX-License-Identifier: MIT
//
// A durable body is lowered like a BRAID_SP body (its listens, waits and
// durable calls are parks with other methods, LowerPark.cpp); what is its
// own is checked here: the function's shape, and that everything stored
// with the run (the parameters, the locals live at each stored partition,
// the result, the values of the listens and waits) has a codec.
//
//===----------------------------------------------------------------------===//
#include "Lower/Codecs.h"
#include "Lower/FunctionLowering.h"

#include "Diag/InternalError.h"
#include "Emit/Text.h"

#include "clang/AST/QualTypeNames.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"

#include <algorithm>
#include <cctype>

using namespace clang;

namespace braidc {

namespace {

/// whyNotStorable's answers: the %select of BRAIDC_STORABLE_REASON.
enum StorableReason : unsigned { IsReference, IsPointer, IsIterator, IsClosure, IsArray, NoCodec, IsLongDouble, IsLocalType };

bool namedNamespace(const DeclContext *DC, StringRef Name) {
  const auto *NS = dyn_cast_or_null<NamespaceDecl>(DC);
  return NS && NS->getIdentifier() && NS->getName() == Name;
}

/// Declared in std (or a namespace inside it, as std::chrono) or braid.
bool inStdOrBraid(const Decl *D) {
  const DeclContext *DC = D->getDeclContext();
  while (DC && !DC->getRedeclContext()->isTranslationUnit()) {
    const DeclContext *Parent = DC->getParent();
    if (Parent && Parent->getRedeclContext()->isTranslationUnit())
      return namedNamespace(DC, "std") || namedNamespace(DC, "braid");
    DC = Parent;
  }
  return false;
}

/// Template arguments of std containers that are not stored: allocators,
/// comparators, hashes, traits, a duration's period.
bool helperArgument(QualType T) {
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (!RD || !RD->getIdentifier() || !inStdOrBraid(RD))
    return false;
  StringRef N = RD->getName();
  return N == "allocator" || N == "less" || N == "greater" || N == "hash" || N == "equal_to" ||
         N == "char_traits" || N == "ratio";
}

/// Every type argument of a specialization, packs flattened.
void typeArguments(ArrayRef<TemplateArgument> Args, std::vector<QualType> &Out) {
  for (const TemplateArgument &A : Args) {
    if (A.getKind() == TemplateArgument::Type)
      Out.push_back(A.getAsType());
    else if (A.getKind() == TemplateArgument::Pack)
      typeArguments(A.getPackAsArray(), Out);
  }
}

/// The declarations named braid_codec (also hidden friends): the types of
/// their second parameter. Bodies are not entered.
class BraidCodecFinder : public RecursiveASTVisitor<BraidCodecFinder> {
public:
  std::set<const clang::Type *> &Types;
  explicit BraidCodecFinder(std::set<const clang::Type *> &Types) : Types(Types) {}
  bool TraverseStmt(Stmt *) { return true; }
  bool shouldVisitTemplateInstantiations() const { return false; }
  bool VisitFunctionDecl(FunctionDecl *FD) {
    if (FD->getIdentifier() && FD->getName() == "braid_codec" && FD->getNumParams() == 2) {
      QualType T = FD->getParamDecl(1)->getType();
      if (T->isLValueReferenceType())
        Types.insert(T.getNonReferenceType().getCanonicalType().getUnqualifiedType().getTypePtr());
    }
    return true;
  }
};

std::string mangledName(const std::string &Spelled) {
  std::string Out = "__braid_fields";
  for (char C : Spelled)
    Out += std::isalnum(static_cast<unsigned char>(C)) ? C : '_';
  return Out;
}

} // namespace

//===----------------------------------------------------------------------===//
// CodecIndex
//===----------------------------------------------------------------------===//

CodecIndex::CodecIndex(ASTContext &Ctx) {
  for (const Decl *B : Ctx.getTranslationUnitDecl()->decls()) {
    if (!namedNamespace(dyn_cast<DeclContext>(B), "braid"))
      continue;
    for (const Decl *D : cast<NamespaceDecl>(B)->decls()) {
      if (!namedNamespace(dyn_cast<DeclContext>(D), "durable"))
        continue;
      for (const Decl *C : cast<NamespaceDecl>(D)->decls())
        if (const auto *TD = dyn_cast<ClassTemplateDecl>(C); TD && TD->getIdentifier() && TD->getName() == "codec")
          Codec = TD->getCanonicalDecl();
    }
  }
  if (!Codec)
    return;
  llvm::SmallVector<ClassTemplatePartialSpecializationDecl *, 32> Partials;
  const_cast<ClassTemplateDecl *>(Codec)->getPartialSpecializations(Partials);
  for (const ClassTemplatePartialSpecializationDecl *PS : Partials) {
    const TemplateArgumentList &Args = PS->getTemplateArgs();
    if (Args.size() != 1 || Args[0].getKind() != TemplateArgument::Type)
      continue;
    QualType T = Args[0].getAsType();
    if (const auto *TST = T->getAs<TemplateSpecializationType>())
      if (const TemplateDecl *TD = TST->getTemplateName().getAsTemplateDecl())
        PartialFor.insert(TD->getCanonicalDecl());
  }
  BraidCodecFinder Finder(BraidCodecTypes);
  Finder.TraverseDecl(Ctx.getTranslationUnitDecl());
}

bool CodecIndex::hasExactCodec(QualType T) const {
  const clang::Type *C = T.getCanonicalType().getUnqualifiedType().getTypePtr();
  if (BraidCodecTypes.count(C))
    return true;
  if (!Codec)
    return false;
  for (const ClassTemplateSpecializationDecl *S : Codec->specializations()) {
    if (S->getSpecializationKind() != TSK_ExplicitSpecialization)
      continue;
    const TemplateArgumentList &Args = S->getTemplateArgs();
    if (Args.size() == 1 && Args[0].getKind() == TemplateArgument::Type &&
        Args[0].getAsType().getCanonicalType().getUnqualifiedType().getTypePtr() == C)
      return true;
  }
  return false;
}

bool CodecIndex::hasPartialCodec(const ClassTemplateDecl *TD) const {
  return TD && PartialFor.count(TD->getCanonicalDecl());
}

std::string aggregateCodecText(ASTContext &Ctx, const CXXRecordDecl *RD) {
  PrintingPolicy PP(Ctx.getLangOpts());
  PP.SuppressScope = false;
  PP.FullyQualifiedName = true;
  std::string T = TypeName::getFullyQualifiedName(Ctx.getRecordType(RD), Ctx, PP, /*WithGlobalNsPrefix=*/true);
  std::string Fn = mangledName(T);
  std::string O = "inline void " + Fn + "(::braid::durable::fields& __braid_f, " + T + "& __braid_v) {\n  __braid_f";
  for (const FieldDecl *F : RD->fields())
    O += ".field(" + cppQuote(F->getName().str()) + ", __braid_v." + F->getName().str() + ")";
  O += ";\n}\n";
  O += "template <>\nstruct braid::durable::codec<" + T + "> : ::braid::durable::record_codec<" + T + ", &" + Fn +
       "> {};\n";
  return O;
}

//===----------------------------------------------------------------------===//
// The function's shape
//===----------------------------------------------------------------------===//

bool FunctionLowering::prepareDurable(QualType Result) {
  const FunctionDecl *FD = F.FD;
  bool Ok = true;
  if (FD->isTemplated()) {
    Diags.report(Diag::DurableTemplate, FD->getLocation()) << FD;
    Ok = false;
  }
  if (IsMethod) {
    Diags.report(Diag::DurableMethod, FD->getLocation()) << FD;
    Ok = false;
  }
  if (!Ok)
    return false;
  for (const ParmVarDecl *P : FD->parameters()) {
    QualType T = P->getType();
    if (T->isReferenceType()) {
      Diags.report(Diag::DurableReferenceParameter, P->getLocation())
          << P->getName() << FD << T << P->getSourceRange();
      Ok = false;
    } else if (std::optional<unsigned> Why = whyNotStorable(T)) {
      Diags.report(Diag::DurableParamNotStorable, P->getLocation())
          << P->getName() << T << *Why << P->getSourceRange();
      Ok = false;
    }
  }
  if (!Result->isVoidType())
    if (std::optional<unsigned> Why = whyNotStorable(Result)) {
      Diags.report(Diag::DurableValueNotStorable, FD->getLocation()) << 1u << Result << FD << *Why;
      Ok = false;
    }
  return Ok;
}

std::optional<unsigned> FunctionLowering::whyNotStorable(QualType T) {
  if (T->isReferenceType())
    return IsReference;
  T = T.getCanonicalType().getUnqualifiedType();
  const clang::Type *Key = T.getTypePtr();
  if (auto It = StorableMemo.find(Key); It != StorableMemo.end())
    return It->second;
  StorableMemo[Key] = std::nullopt; // a type that contains itself (through a container)
  auto Decide = [&]() -> std::optional<unsigned> {
    if (T->isVoidType() || T->isEnumeralType())
      return std::nullopt;
    if (T->isPointerType() || T->isMemberPointerType() || T->isNullPtrType() || T->isBlockPointerType())
      return IsPointer;
    if (T->isArrayType())
      return IsArray;
    if (const auto *BT = T->getAs<BuiltinType>()) {
      if (BT->getKind() == BuiltinType::LongDouble)
        return IsLongDouble;
      if (BT->isInteger() || BT->getKind() == BuiltinType::Float || BT->getKind() == BuiltinType::Double ||
          BT->getKind() == BuiltinType::Bool)
        return std::nullopt;
      return NoCodec;
    }
    const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
    if (!RD)
      return NoCodec;
    if (RD->isLambda())
      return IsClosure;
    if (Codecs && Codecs->hasExactCodec(T))
      return std::nullopt;
    if (const auto *CTS = dyn_cast<ClassTemplateSpecializationDecl>(RD)) {
      const ClassTemplateDecl *TD = CTS->getSpecializedTemplate();
      if (Codecs && Codecs->hasPartialCodec(TD)) {
        // braid's own codecs encode their type arguments; a user's partial
        // specialization is trusted with its own.
        if (inStdOrBraid(TD)) {
          std::vector<QualType> Args;
          typeArguments(CTS->getTemplateArgs().asArray(), Args);
          for (QualType A : Args)
            if (!helperArgument(A))
              if (std::optional<unsigned> Why = whyNotStorable(A))
                return Why;
        }
        return std::nullopt;
      }
    }
    std::string Name = RD->getName().lower();
    if (Name.find("iterator") != std::string::npos)
      return IsIterator;
    if (RD->isLocalClass())
      return IsLocalType;
    // An aggregate of storable fields, at namespace scope: braidc writes
    // its codec.
    if (!RD->hasDefinition() || !RD->isAggregate() || RD->isUnion() || RD->getNumBases() != 0 ||
        inStdOrBraid(RD) || !RD->getDeclContext()->getRedeclContext()->isFileContext())
      return NoCodec;
    for (const FieldDecl *F : RD->fields()) {
      if (!F->getIdentifier() || F->isBitField() || F->getType().isConstQualified() ||
          F->getType()->isReferenceType() || F->getAccess() != AS_public || whyNotStorable(F->getType()))
        return NoCodec;
    }
    const CXXRecordDecl *Def = RD->getDefinition();
    if (std::find(Aggregates.begin(), Aggregates.end(), Def) == Aggregates.end())
      Aggregates.push_back(Def);
    return std::nullopt;
  };
  std::optional<unsigned> R = Decide();
  StorableMemo[Key] = R;
  return R;
}

//===----------------------------------------------------------------------===//
// The stored partitions
//===----------------------------------------------------------------------===//

std::vector<DurableResume> FunctionLowering::durableResumes() {
  std::vector<DurableResume> Out;
  if (DurableSites.empty())
    return Out;
  const std::vector<Partition> &Parts = E->partitions();
  std::map<int, const VarDecl *> SourceOf;
  for (const auto &[VD, K] : KeptIndex)
    SourceOf[K] = VD;
  std::set<std::string> Reported;
  for (const DurableSite &S : DurableSites) {
    const int P = partitionOfLabel(S.Label, "a durable suspension point");
    const unsigned Line = SM.getExpansionLineNumber(S.Loc);
    const char *What = S.K == DurableSite::Listen ? "listen" : S.K == DurableSite::WaitFor ? "wait_for" : "durable call";
    if (!S.VT->isVoidType())
      if (std::optional<unsigned> Why = whyNotStorable(S.VT))
        Diags.report(Diag::DurableValueNotStorable, S.Loc)
            << (S.K == DurableSite::Listen ? 0u : 2u) << S.VT
            << (S.K == DurableSite::Listen ? "braid::listen" : S.K == DurableSite::WaitFor ? "braid::durable::wait_for" : "the durable call")
            << *Why;
    DurableResume D;
    D.Partition = P;
    D.Site = S.K == DurableSite::Listen ? "listen_site" : S.K == DurableSite::WaitFor ? "wait_site" : "call_site";
    D.Slot = S.Slot;
    D.ValueType = S.ValueType;
    std::vector<int> Live = Parts[P].LiveIn;
    std::sort(Live.begin(), Live.end());
    bool IteratorReported = false;
    for (int K : Live) {
      KeptVar &V = Kept[K];
      if (V.Dropped)
        continue;
      auto Src = SourceOf.find(K);
      auto Temp = TempTypes.find(K);
      std::optional<QualType> QT;
      if (Src != SourceOf.end())
        QT = Src->second->getType();
      else if (Temp != TempTypes.end())
        QT = Temp->second;
      auto Starts = [&](const char *Prefix) { return V.Member.rfind(Prefix, 0) == 0; };
      std::optional<unsigned> Why;
      if (Starts("__braid_range_") || Starts("__braid_begin_") || Starts("__braid_end_"))
        Why = IsIterator;
      else if (V.Pointer)
        Why = std::nullopt; // stored as its offset in the frame (frame_writer::local_ref)
      else if (Starts("__braid_exception_"))
        Why = NoCodec;
      else if (QT)
        Why = whyNotStorable(*QT);
      if (!Why) {
        D.Kept.push_back(K);
        // A trivially destructible scalar is value-initialized, so that
        // one stored before its first assignment encodes a defined value.
        if (!V.Pointer && !V.NeedsDestroy && V.Declarator.empty() && QT && QT->getCanonicalType()->isScalarType())
          V.ValueInit = true;
        continue;
      }
      if (*Why == IsIterator && IteratorReported)
        continue;
      if (!Reported.insert(V.Member + "@" + std::to_string(Line)).second)
        continue;
      if (*Why == IsIterator && V.SourceName.empty()) {
        IteratorReported = true;
        Diags.report(Diag::DurableRangeFor, S.Loc) << What << Line;
        continue;
      }
      SourceLocation Loc = Src != SourceOf.end() ? Src->second->getLocation() : S.Loc;
      std::string Name = V.SourceName.empty() ? V.Member : V.SourceName;
      {
        DiagnosticBuilder DB = Diags.report(Diag::DurableLocalNotStorable, Loc);
        DB << unsigned(V.SourceName.empty() ? 1 : 0) << Name;
        if (QT)
          DB << *QT;
        else
          DB << V.Type;
        DB << What << Line << *Why;
      }
      Diags.report(Diag::NoteStoredHere, S.Loc);
    }
    Out.push_back(std::move(D));
  }
  std::sort(Out.begin(), Out.end(), [](const DurableResume &A, const DurableResume &B) { return A.Partition < B.Partition; });
  return Out;
}

} // namespace braidc
