// SPDX-License-Identifier: MIT
// fuzz_gen: writes one random, terminating, deterministic C++ program of
// BRAID_SP functions for the differential fuzzer (docs/fuzz.md). The same
// seed and options give the same bytes on every machine: the only source of
// randomness is the splitmix64 below, reduced with `%` (the standard
// distributions differ between standard libraries).
//
// The program includes braid_fuzz.hpp, which makes it buildable twice:
// through braidc against libbraid, and directly against a thunk model of
// braid (-DBRAID_FUZZ_DIRECT). Its main prints one line per run of each
// function; the runner compares the two builds' lines.
//
// What keeps the two builds comparable (and the program free of UB):
// - Side effects are ordered: a park whose task logs (or fails, or calls
//   another generated function) appears only where C++ fixes the order of
//   evaluation (statement level, &&, ||, ?:, the comma, braced lists, the
//   right side of an assignment). Where the order is unspecified (function
//   arguments, operands of + or <) either every operand is pure or quiet
//   (fz::Q: not logged, never fails) or exactly one has effects and the
//   others are pure. Direct g++ builds evaluate arguments right to left,
//   braidc left to right: only such orders are invisible in the output.
// - Loops are bounded by counters the body cannot touch, goto backward by a
//   counter, calls go to earlier functions only (no recursion), and a
//   function's "weight" (its own runs plus its callees', multiplied by the
//   loops around each call) is capped, so the output stays small.
// - Integers stay far from overflow: values are small, assignments reduce
//   modulo 1000, += adds a park's value (0..9) or a value modulo 100.
// - Every variable is initialized; a unique_ptr is read only through a null
//   check; vectors are never resized.
// - goto never jumps past a declaration: a forward label ends a block whose
//   own statements declare nothing; a backward label follows the counter.
// - A namespace-scope name that a function also declares as a local is not
//   used in that function before the local's declaration (docs/compiler.md,
//   Known limits: the kept member would hide it there).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

// ---- randomness --------------------------------------------------------

struct Rng {
  std::uint64_t s;
  explicit Rng(std::uint64_t seed) : s(seed) {}
  std::uint64_t next() {  // splitmix64
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int below(int n) { return n <= 1 ? 0 : static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  bool pct(int p) { return below(100) < p; }
  int range(int lo, int hi) { return lo + below(hi - lo + 1); }
};

// ---- options -----------------------------------------------------------

#define FUZZ_FEATURES(X)                                                                        \
  X(if_else, "if/else and else-if chains")                                                       \
  X(if_init, "if and switch with an init-statement declaring a local")                           \
  X(while_loop, "while loops (bounded by a counter in the condition)")                           \
  X(do_loop, "do-while loops")                                                                   \
  X(for_loop, "for loops, with parks in the init, condition and increment")                      \
  X(range_for, "range-for over a vector, by value and by reference")                             \
  X(switch_stmt, "switch with case and default labels, parks in cases")                          \
  X(fallthrough, "[[fallthrough]]; between cases")                                               \
  X(switch_sum, "switch on a sum of parks (a condition that is not 0/1)")                        \
  X(block, "nested blocks")                                                                      \
  X(break_continue, "break and continue (conditional, and ending a block)")                      \
  X(goto_fwd, "forward goto out of nested statements")                                           \
  X(goto_back, "backward goto (bounded by a counter)")                                           \
  X(early_return, "return inside nested statements")                                             \
  X(try_catch, "try/catch with typed clauses and catch (...), nested")                           \
  X(throw_stmt, "throw std::runtime_error / logic_error / out_of_range")                         \
  X(rethrow, "throw; in handlers")                                                               \
  X(catch_cancelled, "catch (const braid::cancelled&) clauses")                                  \
  X(raii, "fz::Res RAII locals (logged construction and destruction)")                           \
  X(strings, "std::string locals and parameters, functions returning std::string")               \
  X(unique_ptr, "std::unique_ptr<int> and std::unique_ptr<fz::Res> locals, moved and reset")     \
  X(vectors, "std::vector<int> locals")                                                          \
  X(bindings, "structured bindings: pair, aggregate, by reference, in range-for")                \
  X(and_or, "&& and || with parks in the right operand")                                         \
  X(ternary, "?: with parks in the branches")                                                    \
  X(comma, "the comma operator with a park on the right")                                        \
  X(call_args, "calls with several parks among their arguments")                                 \
  X(compound_assign, "x += park(t) and other compound assignments")                              \
  X(iife, "immediately invoked lambdas (also before a park in one expression)")                  \
  X(lambda_ref, "std::function lambdas capturing locals by reference, called after parks")       \
  X(sp_calls, "park(g(args)) on an earlier generated function")                                  \
  X(ref_params, "int& parameters (the callee writes the caller's local)")                        \
  X(void_fns, "functions returning braid::task<void>")                                           \
  X(globals, "namespace-scope variables (n, cond, total, acc, label) read and written")          \
  X(hidden_names, "namespace-scope names the driver's bases also declare (state, table, ...)")   \
  X(shadow, "locals named like outer locals, namespace-scope names or the driver's members")     \
  X(async, "leaf tasks that complete later, from the harness queue")                             \
  X(fail_leaves, "leaf tasks that fail with std::runtime_error")                                 \
  X(immediate, "immediate-value tasks (braid::task<int>(v))")                                    \
  X(cancel, "runs cancelled when the K-th leaf park starts")                                     \
  X(cond_parks, "parks in if/while/for/switch conditions")                                       \
  X(init_parks, "parks in the initializers of declarations")                                     \
  X(return_parks, "parks in return statements")                                                 \
  X(refs, "reference locals: int& to a local (kept as a pointer)")                              \
  X(ref_temps, "references extending a temporary: const int&, auto&&, const std::string&")        \
  X(temps, "fz::Res temporaries alive across a park until the end of their full-expression")    \
  X(subscripts, "subscripts whose index parks")                                                 \
  X(exc_vars, "exception variables used after a park in their handler, throw e;")              \
  X(member_temps, "references and range-for bound to a member of a temporary (extends it all)") \
  X(captures, "lambdas with explicit captures ([a, &b]) and [=]")                              \
  X(throwing_exprs, "calls that throw inside an expression, fz::Res constructors that throw")   \
  X(multi_decl, "declarations of several variables (int x = e1, y = e2; two fz::Res)")           \
  X(ap, "BRAID_AP functions: fork over fz::vals and amb outside loops, return braid::amb()")

enum Feature {
#define FUZZ_ENUM(name, help) k_##name,
  FUZZ_FEATURES(FUZZ_ENUM)
#undef FUZZ_ENUM
      kFeatureCount
};

struct FeatureInfo {
  const char* name;
  const char* help;
};

const FeatureInfo kFeatures[] = {
#define FUZZ_INFO(name, help) {#name, help},
    FUZZ_FEATURES(FUZZ_INFO)
#undef FUZZ_INFO
};

struct Options {
  std::uint64_t seed = 1;
  int functions = 10;
  int stmts = 14;     // statements per function (all levels)
  int depth = 3;      // nesting of compound statements
  int parkRate = 35;  // percent of expression leaves that park, where allowed
  int cancels = 24;   // cancelled runs per function (0: none)
  bool on[kFeatureCount];
  std::vector<int> keep;  // functions to emit (with their callees); empty: all
  std::vector<int> drop;  // functions not to emit, nor those that call them
  Options() {
    for (bool& b : on) b = true;
  }
};

std::string dashed(const char* name) {
  std::string s = name;
  for (char& c : s)
    if (c == '_') c = '-';
  return s;
}

int featureIndex(const std::string& name) {
  for (int i = 0; i < kFeatureCount; ++i)
    if (name == kFeatures[i].name || name == dashed(kFeatures[i].name)) return i;
  return -1;
}

// ---- the program model -------------------------------------------------

enum class Ty { Int, Bool, Str, Res, UInt, URes, Vec, Pair, PVec, Fn };

struct Var {
  std::string name;
  Ty ty;
  bool mut = true;     // may be assigned (loop counters may not)
  bool global = false;
  bool plain = false;  // an int variable of its own (a lambda may capture it)
  bool counter = false;  // a loop or goto counter: named by later jumps, never shadowed
};

struct Scope {
  std::vector<Var> vars;
  // The body of a for/if/switch/range-for/catch/function: its outermost
  // block may not redeclare the names of the enclosing scope (the loop
  // variable, the exception parameter, the parameters).
  bool sealedParent = false;
};

enum class Ret { Int, Str, Void };

struct Param {
  std::string decl;  // as written in the signature
  std::string name;
  Ty ty;
  bool ref = false;   // int&
  bool cref = false;  // const std::string&
  bool defaulted = false;  // `int b = 3`: callers may leave it out
};

struct Func {
  int index = 0;
  std::string name;
  Ret ret = Ret::Int;
  std::vector<Param> params;
  std::vector<std::string> lines;
  std::set<int> callees;  // direct
  bool ap = false;        // a BRAID_AP function (flow<int>), run by fz::run_ap
  int weight = 1;         // runs of its body per call, callees included
};

// Namespace-scope names of the generated file, and the driver's member names
// a local may also take (sp.hpp: sp_core, sp_frame, process).
struct GlobalName {
  const char* name;
  Ty ty;
  bool function;  // int name(int)
  bool hidden;    // named like a member of the driver's bases
};
const GlobalName kGlobals[] = {
    {"n", Ty::Int, false, false},     {"cond", Ty::Bool, false, false}, {"total", Ty::Int, false, false},
    {"acc", Ty::Int, false, false},   {"label", Ty::Str, false, false}, {"resume", Ty::Int, false, true},
    {"state", Ty::Int, true, true},   {"table", Ty::Int, true, true},   {"start", Ty::Int, true, true},
    {"finish", Ty::Int, true, true},  {"release", Ty::Int, true, true},
};
// Also namespace names: a local `std`, `braid` or `fz` does not change what
// `std::string` or `fz::L` mean in C++ (a name before `::` is looked up as a
// namespace or type only), and must not in the frame either.
const char* const kMemberNames[] = {"raised_", "token_", "result_", "out_", "cancel", "park", "home_", "std", "braid", "fz"};

std::string quoteC(const std::string& s) { return "\"" + s + "\""; }

// Concatenates in order. The generator draws from its random stream while it
// builds text, and the operands of `a + b` (also of std::string's operator+)
// are evaluated in an unspecified order (g++ right to left, clang left to
// right): every expression that draws more than once builds its text through
// cat({...}), whose braced list is evaluated left to right ([dcl.init.list]),
// so that a seed gives the same program whichever compiler built fuzz_gen.
std::string cat(std::initializer_list<std::string> parts) {
  std::string s;
  for (const std::string& p : parts) s += p;
  return s;
}

// `(e)` -> `e` when the parentheses enclose all of it: `if ((a == b))` draws
// clang's -Wparentheses-equality. (No literal the generator writes holds a
// parenthesis.)
std::string unparen(const std::string& s) {
  if (s.size() < 2 || s.front() != '(' || s.back() != ')') return s;
  int d = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '(') ++d;
    if (s[i] == ')' && --d == 0 && i + 1 != s.size()) return s;
  }
  return s.substr(1, s.size() - 2);
}

// ---- one function --------------------------------------------------------

// PureLocal: pure, and reads no namespace-scope variable. The pure siblings
// of an operand with effects are: those effects may be a call of another
// generated function, which may write the globals, and C++ leaves the order
// of the read and the call unspecified (fuzz seed 53074: `(n - park(f3()))`
// where f3 writes n; either result is valid C++).
enum Lvl { PureLocal = -1, Pure = 0, Quiet = 1, Effect = 2 };

struct Ctx {
  int depth = 0;
  bool inLoop = false;    // continue allowed
  bool canBreak = false;  // break allowed
  bool noDecl = false;    // a statement list where a declaration would be jumped over
  int handler = 0;        // inside a catch clause: throw; allowed
  int tryDepth = 0;
  int mult = 1;  // how often this code may run per call (call weight)
  std::string exc;  // the innermost named exception variable in scope
  std::vector<std::string> fwd;                            // forward labels in reach
  std::vector<std::pair<std::string, std::string>> back;  // backward label, its counter
};

class FuncGen {
 public:
  FuncGen(const Options& o, std::vector<Func>& prior, Func& f, int& site)
      : opt_(o), rng_(o.seed * 0x100000001b3ULL + static_cast<std::uint64_t>(f.index) * 0x9e3779b97f4a7c15ULL + 7),
        prior_(prior), f_(f), site_(site) {}

  void run() {
    signature();
    scopes_.clear();
    scopes_.emplace_back();  // namespace scope
    for (const GlobalName& g : kGlobals) {
      if (g.function) continue;
      if (g.hidden ? !on(k_hidden_names) : !on(k_globals)) continue;
      if (g.ty == Ty::Str && !on(k_strings)) continue;
      Var v{g.name, g.ty, !g.hidden, true, g.ty == Ty::Int && !g.hidden};
      scopes_[0].vars.push_back(v);
    }
    scopes_.emplace_back();  // parameters
    for (const Param& p : f_.params) scopes_.back().vars.push_back(Var{p.name, p.ty, !p.cref, false, p.ty == Ty::Int});
    // Names this function may declare as locals (namespace-scope names and
    // the driver's members): not used as globals before that declaration.
    if (on(k_shadow)) {
      int k = rng_.below(3);
      for (int i = 0; i < k; ++i) {
        if (rng_.pct(65)) {
          const GlobalName& g = kGlobals[rng_.below(sizeof kGlobals / sizeof kGlobals[0])];
          if ((g.hidden && on(k_hidden_names)) || (!g.hidden && on(k_globals))) shadow_.insert(g.name);
        } else {
          shadow_.insert(kMemberNames[rng_.below(sizeof kMemberNames / sizeof kMemberNames[0])]);
        }
      }
    }
    left_ = opt_.stmts;
    std::string sig = f_.ap ? "BRAID_AP braid::flow<int> " + f_.name + "("
                            : "BRAID_SP braid::task<" + retType() + "> " + f_.name + "(";
    for (std::size_t i = 0; i < f_.params.size(); ++i) sig += (i ? ", " : "") + f_.params[i].decl;
    emit(0, sig + ") {");
    Ctx c;
    c.depth = 0;
    pushScope(true);
    if (f_.ap) {  // a first fork point, so that every BRAID_AP body branches
      std::string name = fresh("fk");
      std::string vs = cat({leafValue(), ", ", leafValue()});
      if (rng_.pct(50)) vs += ", " + leafValue();
      emit(1, "int " + name + " = braid::fork(fz::vals({" + vs + "}));");
      declare(Var{name, Ty::Int});
      forks_ = 1;
    }
    list(c, 1, opt_.stmts);
    observeScope(1);
    emit(1, finalReturn());
    popScope();
    emit(0, "}");
  }

 private:
  // ---- plumbing --------------------------------------------------------
  // The statement being generated (its loops decide how often a call runs).
  struct CtxScope {
    FuncGen* g;
    const Ctx* saved;
    CtxScope(FuncGen* gen, const Ctx& c) : g(gen), saved(gen->ctx_) { g->ctx_ = &c; }
    ~CtxScope() { g->ctx_ = saved; }
  };
  // A BRAID_AP body is run once per branch from its start by the direct
  // build, and once (then cloned) by braid: it may not write what outlives a
  // branch (globals, int& parameters, other functions' effects), nor keep
  // what a clone cannot copy (fz::Res, unique_ptr) or shares by reference
  // (std::function capturing by reference); and no backward goto (a fork
  // point in a loop multiplies the branches).
  bool on(Feature x) const {
    if (f_.ap && (x == k_raii || x == k_temps || x == k_unique_ptr || x == k_lambda_ref || x == k_sp_calls ||
                  x == k_ref_params || x == k_globals || x == k_hidden_names || x == k_cancel ||
                  x == k_goto_back || x == k_void_fns))
      return false;
    return opt_.on[x];
  }
  /// A fork point for a BRAID_AP body at an Effect-level leaf (sequenced:
  /// two fork points whose order is unspecified would branch in another
  /// order), outside loops, at most three per function; "" otherwise.
  std::string forkPoint() {
    if (!f_.ap || !ctx_ || ctx_->mult != 1 || ctx_->inLoop || forks_ >= 3 || !rng_.pct(30)) return "";
    ++forks_;
    if (rng_.pct(35)) return cat({"braid::amb(", genInt(0, Pure), ", ", genInt(0, Pure), ")"});
    std::string vs = leafValue();
    int n = rng_.range(1, 3);
    for (int i = 1; i < n; ++i) vs += ", " + leafValue();
    return "braid::fork(fz::vals({" + vs + "}))";
  }
  void emit(int ind, const std::string& s) { f_.lines.push_back(std::string(static_cast<std::size_t>(ind) * 2, ' ') + s); }
  int site() { return ++site_; }
  std::string tag(const char* kind) { return f_.name + "." + kind + std::to_string(site()); }
  std::string fresh(const char* prefix) { return prefix + std::to_string(++names_); }

  std::string retType() const {
    switch (f_.ret) {
      case Ret::Int: return "int";
      case Ret::Str: return "std::string";
      case Ret::Void: return "void";
    }
    return "int";
  }

  void signature() {
    f_.ret = Ret::Int;
    f_.ap = on(k_ap) && rng_.pct(15);
    if (f_.ap) {
      f_.params.push_back(Param{"int a", "a", Ty::Int});
      return;
    }
    int r = rng_.below(100);
    if (on(k_strings) && r < 15) f_.ret = Ret::Str;
    else if (on(k_void_fns) && r >= 85) f_.ret = Ret::Void;
    f_.params.push_back(Param{"int a", "a", Ty::Int});
    if (on(k_strings) && rng_.pct(40)) {
      bool cref = rng_.pct(50);
      Param p{cref ? "const std::string& s" : "std::string s", "s", Ty::Str};
      p.cref = cref;
      f_.params.push_back(p);
    }
    if (on(k_ref_params) && rng_.pct(30)) {
      Param p{"int& r", "r", Ty::Int};
      p.ref = true;
      f_.params.push_back(p);
    }
    if (rng_.pct(50) && f_.params.size() > 1) std::swap(f_.params[0], f_.params[1]);
    if (rng_.pct(20)) {
      Param p{"int b = 3", "b", Ty::Int};
      p.defaulted = true;
      f_.params.push_back(p);  // last
    }
  }

  void pushScope(bool sealedParent = false) {
    scopes_.emplace_back();
    scopes_.back().sealedParent = sealedParent;
  }
  void popScope() { scopes_.pop_back(); }

  // A name usable as an expression here: not the one being declared (its
  // initializer would name the new variable), and not a namespace-scope name
  // this function will declare later (Known limits).
  bool usableGlobal(const std::string& name) const {
    if (declaring_.count(name)) return false;
    return !shadow_.count(name) || declared_.count(name);
  }

  // The variables visible here, innermost first, each name once.
  std::vector<Var> visible() const {
    std::vector<Var> out;
    std::set<std::string> seen;
    for (std::size_t i = scopes_.size(); i-- > 0;) {
      for (std::size_t j = scopes_[i].vars.size(); j-- > 0;) {
        const Var& v = scopes_[i].vars[j];
        if (!seen.insert(v.name).second) continue;
        if (declaring_.count(v.name)) continue;
        if (v.global && !usableGlobal(v.name)) continue;
        out.push_back(v);
      }
    }
    return out;
  }
  bool nameVisible(const std::string& name) const {
    for (std::size_t i = scopes_.size(); i-- > 0;)
      for (const Var& v : scopes_[i].vars)
        if (v.name == name) return true;
    return false;
  }
  // A namespace-scope function callable here (no local hides it).
  bool functionUsable(const std::string& name) const {
    if (!usableGlobal(name)) return false;
    for (std::size_t i = scopes_.size(); i-- > 1;)
      for (const Var& v : scopes_[i].vars)
        if (v.name == name) return false;
    return true;
  }

  template <class Pred>
  const Var* pickVar(std::vector<Var>& pool, Pred pred) {
    pool = visible();
    // Locals three times out of four when there are some: the globals
    // would otherwise be most of the pool.
    std::vector<const Var*> ok, locals;
    for (const Var& v : pool)
      if (pred(v) && !(copyCapture_ && (v.ty == Ty::Res || v.ty == Ty::UInt || v.ty == Ty::URes)) &&
          !(noGlobals_ > 0 && v.global)) {
        ok.push_back(&v);
        if (!v.global) locals.push_back(&v);
      }
    if (ok.empty()) return nullptr;
    if (!locals.empty() && rng_.pct(75)) ok = locals;
    return ok[static_cast<std::size_t>(rng_.below(static_cast<int>(ok.size())))];
  }

  // A name for a new local: fresh, or (shadow) the name of an outer local, a
  // namespace-scope name or a driver member; never one already declared in
  // this scope (or in the scope its block may not redeclare).
  std::string newName(const char* prefix) {
    auto takenHere = [&](const std::string& n) {
      for (const Var& v : scopes_.back().vars)
        if (v.name == n) return true;
      if (scopes_.back().sealedParent && scopes_.size() >= 2)
        for (const Var& v : scopes_[scopes_.size() - 2].vars)
          if (v.name == n) return true;
      return false;
    };
    if (on(k_shadow) && rng_.pct(20)) {
      std::vector<std::string> cands;
      for (const std::string& s : shadow_) cands.push_back(s);
      for (std::size_t i = 1; i + 1 < scopes_.size(); ++i)  // parameters too (not at the top level: sealed)
        for (const Var& v : scopes_[i].vars)
          if (v.name.size() > 1 && !v.counter) cands.push_back(v.name);
      if (!cands.empty()) {
        std::string n = cands[static_cast<std::size_t>(rng_.below(static_cast<int>(cands.size())))];
        if (!takenHere(n) && (shadow_.count(n) || nameVisible(n))) return n;
      }
    }
    return fresh(prefix);
  }
  static Var counterVar(const std::string& name) {
    Var v{name, Ty::Int, false};
    v.counter = true;
    return v;
  }
  void declare(const Var& v) {
    scopes_.back().vars.push_back(v);
    declared_.insert(v.name);
  }

  // ---- expressions ------------------------------------------------------

  // Levels of n operands whose order C++ leaves unspecified: all at most
  // quiet, or one with effects and the others pure.
  std::vector<Lvl> siblings(int n, Lvl lvl) {
    std::vector<Lvl> out(static_cast<std::size_t>(n), lvl == Effect ? Quiet : lvl);
    if (lvl == Effect && rng_.pct(55)) {
      for (Lvl& l : out) l = PureLocal;
      out[static_cast<std::size_t>(rng_.below(n))] = Effect;
    }
    return out;
  }

  bool wantPark(Lvl lvl) { return lvl >= Quiet && rng_.pct(opt_.parkRate); }

  std::string leafValue() { return std::to_string(rng_.pct(80) ? rng_.below(5) : rng_.below(10)); }

  // A park with an int value.
  std::string parkInt(Lvl lvl, bool allowFail = true) {
    if (lvl == Effect)
      if (std::string f = forkPoint(); !f.empty()) return f;
    if (lvl == Quiet) {
      if (on(k_immediate) && rng_.pct(25)) return "braid::park(fz::I(" + leafValue() + "))";
      return "braid::park(fz::Q(" + leafValue() + "))";
    }
    if (on(k_sp_calls) && rng_.pct(22)) {
      std::string c = spCall(Ret::Int);
      if (!c.empty()) return c;
    }
    int r = rng_.below(100);
    int failPct = !allowFail || !on(k_fail_leaves) ? 0 : (ctx_ && ctx_->tryDepth > 0 ? 18 : 4);
    if (r < failPct) {
      bool later = on(k_async) && rng_.pct(50);
      int id = site();
      return std::string("braid::park(fz::") + (later ? "FA(" : "F(") + std::to_string(id) + ", " +
             quoteC(f_.name + ".x" + std::to_string(id)) + "))";
    }
    if (on(k_immediate) && r < failPct + 8) return "braid::park(fz::I(" + leafValue() + "))";
    if (r < failPct + 14) return "braid::park(fz::Q(" + leafValue() + "))";
    bool later = on(k_async) && rng_.pct(50);
    return std::string("braid::park(fz::") + (later ? "A(" : "L(") + std::to_string(site()) + ", " + leafValue() + "))";
  }

  // park(g(args)) on an earlier function returning `want`, if the weight
  // allows; "" otherwise.
  std::string spCall(Ret want) {
    if (!ctx_ || ctx_->mult > 9) return "";
    std::vector<int> cands;
    for (const Func& g : prior_)
      if (g.ret == want && !g.ap && f_.weight + g.weight * ctx_->mult <= 40) cands.push_back(g.index);
    if (cands.empty()) return "";
    const Func& g = prior_[static_cast<std::size_t>(cands[static_cast<std::size_t>(rng_.below(static_cast<int>(cands.size())))])];
    std::string args;
    for (std::size_t i = 0; i < g.params.size(); ++i) {
      const Param& p = g.params[i];
      if (p.defaulted && rng_.pct(50)) break;
      std::string a;
      if (p.ref) {
        // Not a variable of the caller: the callee writes it while the rest
        // of the full-expression may read it, in an unspecified order.
        a = "fz::fresh_cell()";
      } else if (p.ty == Ty::Str) {
        // A `const std::string&` parameter is copied into braid's frame (by
        // design: the task may run after the caller's objects died) and is a
        // reference in C++: bound to a variable the callee writes (the
        // global `label`) the two differ. A temporary copy is the same in both.
        a = p.cref ? "std::string(" + genStr(0, Pure) + ")" : genStr(0, Pure);
      } else {
        a = genInt(rng_.below(2), Pure);
      }
      args += (i ? ", " : "") + a;
    }
    f_.weight += g.weight * ctx_->mult;
    f_.callees.insert(g.index);
    return "braid::park(" + g.name + "(" + args + "))";
  }

  // An int-valued expression read from a variable.
  std::string readInt(const Var& v) {
    switch (v.ty) {
      case Ty::Int: return v.name;
      case Ty::Bool: return "(" + v.name + " ? 1 : 0)";
      case Ty::Str: return "static_cast<int>(" + v.name + ".size())";
      case Ty::Res: return v.name + ".size()";
      case Ty::UInt: return "(" + v.name + " ? *" + v.name + " : 0)";
      case Ty::URes: return "(" + v.name + " ? " + v.name + "->size() : 0)";
      case Ty::Vec: return rng_.pct(50) ? v.name + "[0]" : "static_cast<int>(" + v.name + ".size())";
      case Ty::Pair: return v.name + (rng_.pct(50) ? ".first" : ".second");
      case Ty::PVec: return v.name + "[0]." + (rng_.pct(50) ? "first" : "second");
      case Ty::Fn: return "0";
    }
    return "0";
  }

  // Generates `gen(Pure)` with the globals out of reach (Lvl PureLocal).
  template <class Gen>
  std::string localOnly(Gen gen) {
    ++noGlobals_;
    std::string out = gen();
    --noGlobals_;
    return out;
  }

  std::string atomInt(Lvl lvl) {
    if (lvl == PureLocal) return localOnly([&] { return atomInt(Pure); });
    if (wantPark(lvl)) return parkInt(lvl);
    std::vector<Var> pool;
    if (rng_.pct(70)) {
      const Var* v = pickVar(pool, [](const Var& x) { return x.ty != Ty::Fn; });
      if (v) return readInt(*v);
    }
    return std::to_string(rng_.below(10));
  }

  std::string genInt(int depth, Lvl lvl) {
    if (lvl == PureLocal) return localOnly([&] { return genInt(depth, Pure); });
    if (depth <= 0) return atomInt(lvl);
    int r = rng_.below(100);
    if (r < 25) return atomInt(lvl);
    if (r < 45) {
      static const char* const ops[] = {" + ", " - ", " ^ ", " & ", " | ", " + "};
      auto ls = siblings(2, lvl);
      return cat({"(", genInt(depth - 1, ls[0]), ops[rng_.below(6)], genInt(depth - 1, ls[1]), ")"});
    }
    if (r < 50) return cat({"(", genInt(depth - 1, lvl), " * ", std::to_string(rng_.range(2, 3)), ")"});
    if (r < 56) return cat({"(", genInt(depth - 1, lvl), " % ", std::to_string(rng_.range(3, 7)), ")"});
    if (r < 64 && on(k_ternary))
      return cat({"(", genBool(depth - 1, lvl), " ? ", genInt(depth - 1, lvl), " : ", genInt(depth - 1, lvl), ")"});
    if (r < 69 && on(k_comma) && lvl == Effect)
      return rng_.pct(30) ? cat({"(", parkInt(Effect), ", ", genInt(depth - 1, lvl), ")"})
                          : cat({"(fz::lg(", quoteC(tag("c")), "), ", genInt(depth - 1, lvl), ")"});
    if (r < 77 && on(k_call_args)) {
      if (rng_.pct(50)) {
        auto ls = siblings(3, lvl);
        if (lvl >= Quiet && rng_.pct(50)) ls = {Quiet, Quiet, Quiet};
        std::string a[3];
        for (int i = 0; i < 3; ++i) a[i] = ls[i] >= Quiet && rng_.pct(60) ? parkInt(ls[i]) : genInt(depth - 1, ls[i]);
        return "fz::add3(" + a[0] + ", " + a[1] + ", " + a[2] + ")";
      }
      auto ls = siblings(2, lvl);
      return cat({"fz::pick(", genInt(depth - 1, ls[0]), ", ", genInt(depth - 1, ls[1]), ")"});
    }
    if (r < 83 && on(k_iife)) {
      // The body cannot park; a logging body only where the order is fixed.
      int form = rng_.below(100);
      if (form < 20 && on(k_captures)) {  // explicit captures, by copy and by reference
        std::vector<Var> pool;
        const Var* a = pickVar(pool, [](const Var& v) { return v.ty == Ty::Int && !v.global; });
        std::string an = a ? a->name : "";
        const Var* b = pickVar(pool, [&](const Var& v) { return v.ty == Ty::Int && !v.global && v.name != an; });
        if (a && b)
          return "[" + an + ", &" + b->name + "] { return " + an + " + " + b->name + " * 2; }()";
      }
      if (form < 40 && on(k_captures)) {  // [=]: the body may name only what can be copied
        bool saved = copyCapture_;
        copyCapture_ = true;
        std::string body = genInt(depth - 1, Pure);
        copyCapture_ = saved;
        return "[=] { return " + body + "; }()";
      }
      std::string body = genInt(depth - 1, Pure);
      if (lvl == Effect && rng_.pct(50))
        return "[&] { fz::ev(" + quoteC(tag("i")) + "); return " + body + "; }()";
      return "[&] { return " + body + "; }()";
    }
    if (r < 88 && on(k_hidden_names)) {
      static const char* const fns[] = {"state", "table", "start", "finish", "release"};
      std::string fn = fns[rng_.below(5)];
      if (functionUsable(fn)) return fn + "(" + genInt(depth - 1, lvl) + ")";
    }
    if (r < 92 && on(k_strings)) return "static_cast<int>(" + genStr(depth - 1, lvl) + ".size())";
    // A temporary with a destructor, alive to the end of the full-expression
    // (and across the parks after it in that expression).
    if (r < 95 && on(k_temps) && on(k_raii) && lvl == Effect) {
      if (on(k_throwing_exprs) && rng_.pct(20))
        return cat({"fz::Res(", quoteC(tag("tmp")), ", static_cast<bool>(", genBool(0, Pure), ")).size()"});
      return "fz::Res(" + quoteC(tag("tmp")) + ").size()";
    }
    if (r < 96 && on(k_throwing_exprs) && lvl == Effect)  // may throw after earlier parks of the expression
      return cat({"fz::thr(", genInt(depth - 1, Effect), ", ", quoteC(tag("h")), ")"});
    if (r < 98 && on(k_subscripts) && on(k_vectors)) {
      std::vector<Var> pool;
      const Var* v = pickVar(pool, [](const Var& x) { return x.ty == Ty::Vec; });
      if (v) return v->name + "[static_cast<std::size_t>(" + genInt(depth - 1, lvl) + ") % " + v->name + ".size()]";
    }
    if (lvl >= Quiet) return parkInt(lvl);
    return atomInt(lvl);
  }

  std::string genBool(int depth, Lvl lvl) {
    if (lvl == PureLocal) return localOnly([&] { return genBool(depth, Pure); });
    int r = rng_.below(100);
    std::vector<Var> pool;
    // An int converted to bool: a park's value or a variable.
    if (r >= 95 && lvl >= Quiet) return parkInt(lvl);
    if (r >= 90) {
      const Var* v = pickVar(pool, [](const Var& x) { return x.ty == Ty::Int; });
      if (v) return v->name;
    }
    if (r < 15) {
      const Var* v = pickVar(pool, [](const Var& x) {
        return x.ty == Ty::Bool || x.ty == Ty::Str || x.ty == Ty::UInt || x.ty == Ty::URes;
      });
      if (v) {
        switch (v->ty) {
          case Ty::Bool: return v->name;
          case Ty::Str: return v->name + ".empty()";
          default: return "(" + v->name + " != nullptr)";
        }
      }
    }
    if (depth > 0 && r < 40 && on(k_and_or)) {
      // Sequenced: each side may have effects; the right one may not run.
      return cat({"(", genBool(depth - 1, lvl), rng_.pct(50) ? " && " : " || ", genBool(depth - 1, lvl), ")"});
    }
    if (depth > 0 && r < 45) return "!" + genBool(depth - 1, lvl);
    static const char* const cmp[] = {" < ", " > ", " == ", " != ", " <= ", " >= "};
    auto ls = siblings(2, lvl);
    std::string lhs = ls[0] >= Quiet && rng_.pct(45) ? parkInt(ls[0]) : genInt(depth > 0 ? depth - 1 : 0, ls[0]);
    if (rng_.pct(25)) return "(" + lhs + " % 2 == " + std::to_string(rng_.below(2)) + ")";
    std::string rhs = genInt(depth > 0 ? depth - 1 : 0, ls[1]);
    if (rhs == lhs) rhs = std::to_string(rng_.below(5));  // -Wtautological-compare
    return "(" + lhs + cmp[rng_.below(6)] + rhs + ")";
  }

  std::string genStr(int depth, Lvl lvl) {
    if (lvl == PureLocal) return localOnly([&] { return genStr(depth, Pure); });
    if (!on(k_strings)) return "std::string(\"s\")";
    int r = rng_.below(100);
    std::vector<Var> pool;
    if (r < 30) {
      const Var* v = pickVar(pool, [](const Var& x) { return x.ty == Ty::Str; });
      if (v) return v->name;
    }
    if (r < 45 && lvl == Effect) {
      if (on(k_sp_calls) && rng_.pct(35)) {
        std::string c = spCall(Ret::Str);
        if (!c.empty()) return c;
      }
      if (on(k_temps) && on(k_raii) && rng_.pct(10)) return "fz::Res(" + quoteC(tag("tmp")) + ").name";
      if (rng_.pct(opt_.parkRate + 20)) {
        static const char* const words[] = {"x", "yz", "", "abc", "q"};
        return "braid::park(fz::S(" + std::to_string(site()) + ", " + quoteC(words[rng_.below(5)]) + "))";
      }
    }
    if (r < 48 && lvl == Quiet) return "braid::park(fz::QS(\"" + std::string(rng_.pct(50) ? "k" : "") + "\"))";
    if (depth > 0 && r < 62) {
      auto ls = siblings(2, lvl);
      return cat({"(", genStr(depth - 1, ls[0]), " + ", genStr(depth - 1, ls[1]), ")"});
    }
    if (depth > 0 && r < 72) return "std::to_string(" + genInt(depth - 1, lvl) + ")";
    if (depth > 0 && r < 78 && on(k_ternary))
      return cat({"(", genBool(depth - 1, lvl), " ? ", genStr(depth - 1, lvl), " : ", genStr(depth - 1, lvl), ")"});
    static const char* const lits[] = {"a", "bc", "", "de", "f"};
    return "std::string(" + quoteC(lits[rng_.below(5)]) + ")";
  }

  // ---- statements -------------------------------------------------------

  Lvl lvlIf(Feature x) const { return on(x) ? Effect : Pure; }

  // Logs the ints, bools and strings declared in the current scope (their
  // values are part of the output) and keeps -Wunused quiet.
  void observeScope(int ind) { observeScope(ind, scopes_.size() - 1); }
  void observeScope(int ind, std::size_t scope) {
    for (const Var& v : scopes_[scope].vars) {
      if (v.global) continue;
      if (v.ty == Ty::Int || v.ty == Ty::Str)
        emit(ind, "fz::obs(" + quoteC(v.name) + ", " + v.name + ");");
      else if (v.ty == Ty::Bool)
        emit(ind, "fz::obs(" + quoteC(v.name) + ", " + v.name + " ? 1 : 0);");
      else if (v.ty == Ty::Pair)
        emit(ind, "fz::obs(" + quoteC(v.name) + ", " + v.name + ".first * 10 + " + v.name + ".second);");
    }
  }

  // A jump out of the current statement list, or "" when none is possible.
  std::string jump(const Ctx& c) {
    // Weighted: a throw outside a try, or a return, ends the function, so
    // they are rarer than the jumps that keep it going.
    std::vector<int> kinds;
    auto add = [&](bool ok, int w, int k) {
      for (int i = 0; ok && i < w; ++i) kinds.push_back(k);
    };
    add(on(k_break_continue) && c.canBreak, 3, 0);
    add(on(k_break_continue) && c.inLoop, 3, 1);
    add(!c.fwd.empty(), 4, 2);
    add(!c.back.empty(), 3, 3);
    add(on(k_early_return), 1, 4);
    add(on(k_throw_stmt), c.tryDepth > 0 ? 3 : 1, 5);
    add(on(k_rethrow) && c.handler > 0, 2, 6);
    add(on(k_exc_vars) && !c.exc.empty(), 1, 7);
    if (kinds.empty()) return "";
    switch (kinds[static_cast<std::size_t>(rng_.below(static_cast<int>(kinds.size())))]) {
      case 0: return "break;";
      case 1: return "continue;";
      case 2: {
        const std::string& l = c.fwd[static_cast<std::size_t>(rng_.below(static_cast<int>(c.fwd.size())))];
        usedLabels_.insert(l);
        return "goto " + l + ";";
      }
      case 3: {
        const auto& b = c.back[static_cast<std::size_t>(rng_.below(static_cast<int>(c.back.size())))];
        return "if (++" + b.second + " < 3) goto " + b.first + ";";
      }
      case 4: return returnStmt(c);
      case 5: return throwStmt();
      case 6: return "throw;";
      default: return "throw " + c.exc + ";";
    }
  }

  std::string throwStmt() {
    static const char* const types[] = {"std::runtime_error", "std::logic_error", "std::out_of_range"};
    return cat({"throw ", types[rng_.below(3)], "(", quoteC(tag("t")), ");"});
  }

  std::string returnStmt(const Ctx& c) {
    Lvl lvl = lvlIf(k_return_parks);
    if (f_.ap && rng_.pct(20)) return "return braid::amb();";
    switch (f_.ret) {
      case Ret::Int: return "return " + genInt(rng_.below(3), lvl) + ";";
      case Ret::Str: return "return " + genStr(rng_.below(3), lvl) + ";";
      case Ret::Void: return "return {};";
    }
    (void)c;
    return "return {};";
  }

  std::string finalReturn() {
    Ctx c;
    CtxScope g(this, c);
    return returnStmt(c);
  }

  // A statement list of up to n statements in the current scope, sometimes
  // ended by an unconditional jump.
  void list(const Ctx& c, int ind, int n) {
    for (int i = 0; i < n && left_ > 0; ++i) stmt(c, ind);
  }

  // The body of a compound statement: its own scope, its statements, the
  // scope's values logged, then perhaps a jump.
  // observeOuter: also log the enclosing scope (a loop variable).
  void body(const Ctx& c, int ind, int n, bool sealed = false, bool tail = true, bool observeOuter = false) {
    pushScope(sealed);
    // Often an RAII local first: every way out of the block then has a
    // destructor to run (in the right order, at the right time).
    if (on(k_raii) && rng_.pct(30)) {
      std::string name = newName("r");
      emit(ind, "fz::Res " + name + "{" + quoteC(tag("r")) + "};");
      declare(Var{name, Ty::Res, false});
    }
    list(c, ind, n);
    observeScope(ind);
    if (observeOuter) observeScope(ind, scopes_.size() - 2);
    if (!c.exc.empty() && on(k_exc_vars) && rng_.pct(30))
      emit(ind, "fz::ev(std::string(\"again:\") + " + c.exc + ".what());");
    if (tail && rng_.pct(c.inLoop ? 20 : 12)) {
      CtxScope g(this, c);
      std::string j = jump(c);
      if (!j.empty()) emit(ind, j);
    }
    popScope();
  }

  int subCount() { return 1 + rng_.below(3); }

  void stmt(const Ctx& c, int ind) {
    --left_;
    CtxScope guard(this, c);
    bool nest = c.depth < opt_.depth && left_ > 0;
    struct Choice {
      int w;
      int kind;
    };
    std::vector<Choice> ch;
    auto add = [&](bool ok, int w, int kind) {
      if (ok) ch.push_back({w, kind});
    };
    enum { Decl, Assign, Expr, If, While, Do, For, Range, Switch, Try, Block, GotoF, GotoB, CondJump, Throw };
    add(!c.noDecl, 30, Decl);
    add(true, 20, Assign);
    add(true, 8, Expr);
    add(nest && on(k_if_else), 12, If);
    add(nest && on(k_while_loop), 4, While);
    add(nest && on(k_do_loop), 3, Do);
    add(nest && on(k_for_loop), 4, For);
    add(nest && on(k_range_for) && on(k_vectors), 4, Range);
    add(nest && on(k_switch_stmt), 5, Switch);
    add(nest && on(k_try_catch), 6, Try);
    add(nest && on(k_block), 4, Block);
    add(nest && on(k_goto_fwd), 3, GotoF);
    add(nest && on(k_goto_back), 2, GotoB);
    add(true, 6, CondJump);
    add(on(k_throw_stmt) && c.tryDepth > 0, 3, Throw);
    int total = 0;
    for (const Choice& x : ch) total += x.w;
    int r = rng_.below(total);
    int kind = ch.back().kind;
    for (const Choice& x : ch) {
      if (r < x.w) {
        kind = x.kind;
        break;
      }
      r -= x.w;
    }
    switch (kind) {
      case Decl: decl(c, ind); break;
      case Assign: assign(c, ind); break;
      case Expr: exprStmt(c, ind); break;
      case If: ifStmt(c, ind); break;
      case While: whileStmt(c, ind); break;
      case Do: doStmt(c, ind); break;
      case For: forStmt(c, ind); break;
      case Range: rangeFor(c, ind); break;
      case Switch: switchStmt(c, ind); break;
      case Try: tryStmt(c, ind); break;
      case Block: {
        emit(ind, "{");
        Ctx in = c;
        in.depth++;
        in.noDecl = false;
        body(in, ind + 1, subCount());
        emit(ind, "}");
        break;
      }
      case GotoF: gotoFwd(c, ind); break;
      case GotoB: gotoBack(c, ind); break;
      case CondJump: {
        std::string j = jump(c);
        if (j.empty()) {
          assign(c, ind);
        } else {
          emit(ind, "if (" + unparen(genBool(1, lvlIf(k_cond_parks))) + ") " + j);
        }
        break;
      }
      case Throw: emit(ind, cat({"if (", unparen(genBool(1, lvlIf(k_cond_parks))), ") ", throwStmt()})); break;
    }
  }

  void decl(const Ctx& c, int ind) {
    Lvl lvl = lvlIf(k_init_parks);
    std::vector<int> kinds = {0, 0, 0, 1};
    if (on(k_strings)) kinds.insert(kinds.end(), {2, 2});
    if (on(k_raii)) kinds.insert(kinds.end(), {3, 3, 3});
    if (on(k_unique_ptr)) kinds.insert(kinds.end(), {4, 5, 6});
    if (on(k_vectors)) kinds.push_back(7);
    if (on(k_bindings)) kinds.insert(kinds.end(), {8, 9});
    if (on(k_lambda_ref)) kinds.push_back(10);
    if (on(k_refs)) kinds.push_back(11);
    if (on(k_ref_temps)) kinds.insert(kinds.end(), {12, 13, 14});
    if (on(k_ref_temps) && on(k_member_temps)) kinds.push_back(15);
    if (on(k_ref_temps) && on(k_member_temps) && on(k_raii)) kinds.push_back(16);
    if (on(k_multi_decl)) kinds.push_back(17);
    if (on(k_multi_decl) && on(k_raii)) kinds.push_back(18);
    int k = kinds[static_cast<std::size_t>(rng_.below(static_cast<int>(kinds.size())))];
    std::vector<Var> pool;
    switch (k) {
      case 0: {  // int
        std::string name = newName("v");
        declaring_ = {name};
        std::string init = genInt(rng_.below(3), lvl);
        declaring_.clear();
        emit(ind, "int " + name + " = " + init + ";");
        declare(Var{name, Ty::Int, true, false, true});
        return;
      }
      case 1: {  // bool
        std::string name = newName("b");
        declaring_ = {name};
        std::string init = genBool(2, lvl);
        declaring_.clear();
        emit(ind, "bool " + name + " = " + init + ";");
        declare(Var{name, Ty::Bool});
        return;
      }
      case 2: {  // std::string
        std::string name = newName("s");
        declaring_ = {name};
        std::string init = genStr(rng_.below(3), lvl);
        declaring_.clear();
        emit(ind, "std::string " + name + " = " + init + ";");
        declare(Var{name, Ty::Str});
        return;
      }
      case 3: {  // fz::Res
        std::string name = newName("r");
        declaring_ = {name};
        std::string label = quoteC(tag("r"));
        if (lvl == Effect && rng_.pct(25)) label = label + " + std::to_string(" + parkInt(Effect, false) + ")";
        if (on(k_throwing_exprs) && rng_.pct(15)) label += ", static_cast<bool>(" + genBool(1, Pure) + ")";  // may throw (braced: no narrowing)
        declaring_.clear();
        emit(ind, "fz::Res " + name + "{" + label + "};");
        declare(Var{name, Ty::Res, false});
        return;
      }
      case 4: case 5: {  // unique_ptr<int> / unique_ptr<Res>, or a move from one
        bool res = k == 5;
        Ty ty = res ? Ty::URes : Ty::UInt;
        const Var* from = pickVar(pool, [&](const Var& x) { return x.ty == ty && !x.global; });
        std::string fromName = from ? from->name : "";
        std::string name = newName(res ? "u" : "p");
        if (!fromName.empty() && fromName != name && rng_.pct(40)) {
          emit(ind, "auto " + name + " = std::move(" + fromName + ");");
        } else if (res) {
          emit(ind, "auto " + name + " = std::make_unique<fz::Res>(" + quoteC(tag("u")) + ");");
        } else {
          declaring_ = {name};
          std::string init = genInt(rng_.below(2), lvl);
          declaring_.clear();
          emit(ind, "auto " + name + " = std::make_unique<int>(" + init + ");");
        }
        declare(Var{name, ty});
        return;
      }
      case 6: {  // a null unique_ptr<int>
        std::string name = newName("p");
        emit(ind, "std::unique_ptr<int> " + name + ";");
        declare(Var{name, Ty::UInt});
        return;
      }
      case 7: {  // vector<int>: constant, or n copies of a value
        std::string name = newName("vec");
        declaring_ = {name};
        if (rng_.pct(50)) {
          emit(ind, cat({"std::vector<int> ", name, "{", std::to_string(rng_.below(5)), ", ", std::to_string(rng_.below(5)), ", ",
                        std::to_string(rng_.below(5)), "};"}));
        } else {
          std::string init = genInt(1, lvl);
          emit(ind, "std::vector<int> " + name + "(" + std::to_string(rng_.range(1, 3)) + ", " + init + ");");
        }
        declaring_.clear();
        declare(Var{name, Ty::Vec, false});
        return;
      }
      case 8: {  // structured binding of a pair or an aggregate (braced: left to right)
        std::string x = newName("x");
        std::string y = newName("y");
        if (x == y) y = fresh("y");
        declaring_ = {x, y};  // [dcl.struct.bind]: the initializer may not name them
        std::string e1 = genInt(1, lvl);
        std::string e2 = genInt(1, lvl);
        declaring_.clear();
        const Var* p = pickVar(pool, [](const Var& v) { return v.ty == Ty::Pair && !v.global; });
        bool mut = true;
        int form = rng_.below(7);
        std::string head = "auto [" + x + ", " + y + "] = ";
        if (p && p->name != x && p->name != y && form == 0) {
          emit(ind, "auto& [" + x + ", " + y + "] = " + p->name + ";");
        } else if (form <= 1) {
          emit(ind, head + "std::pair<int, int>{" + e1 + ", " + e2 + "};");
        } else if (form == 2) {
          emit(ind, head + "fz::Pt{" + e1 + ", " + e2 + "};");
        } else if (form == 3) {  // the reference extends the temporary's life
          emit(ind, "const auto& [" + x + ", " + y + "] = std::pair<int, int>{" + e1 + ", " + e2 + "};");
          mut = false;
        } else if (form == 4) {
          emit(ind, "auto&& [" + x + ", " + y + "] = fz::Pt{" + e1 + ", " + e2 + "};");
        } else if (lvl == Effect) {  // tuple-like, from a park
          std::string t = cat({"braid::park(fz::LP(", std::to_string(site()), ", ", leafValue(), ", ", leafValue(), "))"});
          if (form == 5) {
            emit(ind, head + t + ";");
          } else {
            emit(ind, "const auto& [" + x + ", " + y + "] = " + t + ";");
            mut = false;
          }
        } else {
          emit(ind, head + "fz::Pt{" + e1 + ", " + e2 + "};");
        }
        declare(Var{x, Ty::Int, mut});
        declare(Var{y, Ty::Int, mut});
        return;
      }
      case 9: {  // a pair, or a vector of pairs (for a range-for with bindings)
        std::string name = newName(rng_.pct(50) ? "pr" : "pv");
        declaring_ = {name};
        if (name.rfind("pv", 0) == 0) {
          emit(ind, cat({"std::vector<std::pair<int, int>> ", name, "{{", leafValue(), ", ", leafValue(), "}, {", leafValue(), ", ",
                        leafValue(), "}};"}));
          declaring_.clear();
          declare(Var{name, Ty::PVec, false});
        } else {
          std::string e1 = genInt(1, lvl);
          std::string e2 = genInt(1, lvl);
          emit(ind, "std::pair<int, int> " + name + "{" + e1 + ", " + e2 + "};");
          declaring_.clear();
          declare(Var{name, Ty::Pair});
        }
        return;
      }
      case 11: {  // int& to an int variable (kept as a pointer)
        const Var* t = pickVar(pool, [](const Var& v) { return v.ty == Ty::Int && v.mut; });
        std::string name = newName("rf");
        if (!t || t->name == name) {
          emit(ind, "fz::ev(" + quoteC(tag("e")) + ");");
          return;
        }
        emit(ind, "int& " + name + " = " + t->name + ";");
        declare(Var{name, Ty::Int, true, false, true});
        return;
      }
      case 12: case 13: case 14: {  // references extending a temporary's life
        std::string name = newName(k == 14 ? "cs" : "cr");
        declaring_ = {name};
        std::string init = k == 12 ? genInt(rng_.below(3), lvl) : k == 13 ? (lvl == Effect ? parkInt(Effect) : genInt(0, Pure)) : genStr(rng_.below(2), lvl);
        declaring_.clear();
        if (k == 12) {
          emit(ind, "const int& " + name + " = " + init + ";");
          declare(Var{name, Ty::Int, false});
        } else if (k == 13) {
          emit(ind, "auto&& " + name + " = " + init + ";");
          declare(Var{name, Ty::Int, true});
        } else {
          // A member of an fz::Res temporary would extend the temporary.
          if (!on(k_member_temps) && init.find("fz::Res(") != std::string::npos) init = "std::string(" + init + ")";
          emit(ind, "const std::string& " + name + " = " + init + ";");
          declare(Var{name, Ty::Str, false});
        }
        return;
      }
      case 17: {  // two ints: each initializer a full-expression, in order
        std::string x = newName("v"), y = fresh("v");
        declaring_ = {x};
        std::string e1 = genInt(rng_.below(2), lvl);
        declaring_.clear();
        declare(Var{x, Ty::Int, true, false, true});
        declaring_ = {y};
        std::string e2 = genInt(rng_.below(2), lvl);  // may read x
        declaring_.clear();
        emit(ind, "int " + x + " = " + e1 + ", " + y + " = " + e2 + ";");
        declare(Var{y, Ty::Int, true, false, true});
        return;
      }
      case 18: {  // two RAII locals: destroyed in reverse
        std::string x = newName("r"), y = fresh("r");
        std::string t1 = quoteC(tag("r")), t2 = quoteC(tag("r"));
        declaring_ = {x, y};
        if (on(k_throwing_exprs) && rng_.pct(20)) t2 += ", static_cast<bool>(" + genBool(1, Pure) + ")";
        declaring_.clear();
        emit(ind, "fz::Res " + x + "{" + t1 + "}, " + y + "{" + t2 + "};");
        declare(Var{x, Ty::Res, false});
        declare(Var{y, Ty::Res, false});
        return;
      }
      case 15: case 16: {  // a reference to a member of a temporary extends the whole object's life
        std::string name = newName(k == 15 ? "cm" : "cn");
        declaring_ = {name};
        std::string e1 = genInt(1, lvl), e2 = genInt(1, lvl);
        declaring_.clear();
        if (k == 15) {
          emit(ind, "const int& " + name + " = fz::Pt{" + e1 + ", " + e2 + "}." + (rng_.pct(50) ? "x" : "y") + ";");
          declare(Var{name, Ty::Int, false});
        } else if (rng_.pct(35)) {  // an aggregate's reference member extends the Res
          std::string h = fresh("hd");  // never a shadowing name: the next line declares another
          // The int is pure: an exception after the Res is made in an aggregate's
          // initializer leaks the Res with g++ 12 (GCC PR 66139), so the direct
          // build would not be a reference there.
          emit(ind, cat({"fz::Hold ", h, "{fz::Res(", quoteC(tag("ext")), "), ", genInt(1, Pure), "};"}));
          emit(ind, "const std::string& " + name + " = " + h + ".r.name;");
          declare(Var{name, Ty::Str, false});
        } else {
          emit(ind, "const std::string& " + name + " = fz::Res(" + quoteC(tag("ext")) + ").name;");
          declare(Var{name, Ty::Str, false});
        }
        return;
      }
      case 10: {  // std::function capturing a local int by reference
        const Var* t = pickVar(pool, [](const Var& v) { return v.plain && v.mut && !v.global; });
        if (!t) {
          emit(ind, "fz::ev(" + quoteC(tag("e")) + ");");
          return;
        }
        std::string target = t->name;
        std::string name = newName("fn");
        if (name == target) name = fresh("fn");
        emit(ind, "std::function<void(int)> " + name + " = [&](int dx) { " + target + " = (" + target +
                      " + dx) % 1000; fz::ev(" + quoteC(tag("l")) + "); };");
        declare(Var{name, Ty::Fn, false});
        return;
      }
    }
    (void)c;
  }

  void assign(const Ctx& c, int ind) {
    (void)c;
    std::vector<Var> pool;
    const Var* v = pickVar(pool, [&](const Var& x) {
      if (!x.mut && x.ty != Ty::URes && x.ty != Ty::Fn) return false;
      if (x.ty == Ty::Vec || x.ty == Ty::PVec || x.ty == Ty::Res) return false;
      return true;
    });
    if (!v) {
      emit(ind, "braid::park(" + std::string(on(k_async) ? "fz::A(" : "fz::L(") + std::to_string(site()) + ", 0));");
      return;
    }
    const std::string& n = v->name;
    switch (v->ty) {
      case Ty::Int: {
        int r = rng_.below(100);
        if (r < 35 && on(k_compound_assign)) {
          emit(ind, n + " += " + parkInt(Effect) + ";");
        } else if (r < 50 && on(k_compound_assign)) {
          emit(ind, cat({n, rng_.pct(50) ? " += " : " -= ", "(", genInt(2, Effect), ") % 100;"}));
        } else if (r < 58) {
          emit(ind, "++" + n + ";");
        } else {
          emit(ind, n + " = (" + genInt(2, Effect) + ") % 1000;");
        }
        return;
      }
      case Ty::Bool: {
        std::string rhs = genBool(2, Effect);
        emit(ind, n + " = " + (rhs == n ? "!" + n : rhs) + ";");  // not a self-assignment
        return;
      }
      case Ty::Str:
        if (rng_.pct(50))
          emit(ind, n + " += " + genStr(1, Effect) + ";");
        else
          emit(ind, n + " = (" + genStr(2, Effect) + ").substr(0, 6);");
        return;
      case Ty::UInt:
        if (rng_.pct(40))
          emit(ind, "if (" + n + ") *" + n + " += " + parkInt(Effect) + ";");
        else if (rng_.pct(50))
          emit(ind, n + " = std::make_unique<int>(" + genInt(1, Effect) + ");");
        else
          emit(ind, n + ".reset();");
        return;
      case Ty::URes:
        if (rng_.pct(50))
          emit(ind, n + ".reset();");
        else
          emit(ind, n + " = std::make_unique<fz::Res>(" + quoteC(tag("u")) + ");");
        return;
      case Ty::Pair:
        if (on(k_compound_assign) && rng_.pct(50))
          emit(ind, cat({n, rng_.pct(50) ? ".first" : ".second", " += ", parkInt(Effect), ";"}));
        else
          emit(ind, n + ".second = (" + genInt(1, Effect) + ") % 1000;");
        return;
      case Ty::Fn: emit(ind, n + "(" + genInt(1, Effect) + ");"); return;
      default: emit(ind, "fz::ev(" + quoteC(tag("e")) + ");"); return;
    }
  }

  void exprStmt(const Ctx& c, int ind) {
    (void)c;
    int r = rng_.below(100);
    if (r < 30 && on(k_void_fns) && on(k_sp_calls)) {
      std::string call = spCall(Ret::Void);
      if (!call.empty()) {
        emit(ind, call + ";");
        return;
      }
    }
    if (r < 60) {
      emit(ind, parkInt(Effect) + ";");
    } else if (r < 75) {
      emit(ind, cat({"fz::ev(std::string(", quoteC(tag("w")), ") + std::to_string(", genInt(1, Effect), "));"}));
    } else if (r < 85 && on(k_globals) && usableGlobal("total") && !nameVisible("total")) {
      emit(ind, "total += " + genInt(1, Effect) + " % 10;");
    } else if (r < 92 && on(k_globals) && usableGlobal("cond") && !nameVisible("cond")) {
      emit(ind, "cond = " + genBool(1, Effect) + ";");
    } else {
      emit(ind, "fz::ev(" + quoteC(tag("e")) + ");");
    }
  }

  void ifStmt(const Ctx& c, int ind) {
    Ctx in = c;
    in.depth++;
    in.noDecl = false;
    bool init = on(k_if_init) && rng_.pct(20);
    pushScope();
    std::string head;
    if (init) {
      std::string name = newName("v");
      declaring_ = {name};
      std::string e = genInt(1, lvlIf(k_cond_parks));
      declaring_.clear();
      int form = rng_.below(100);
      if (form < 25 && on(k_bindings)) {  // a structured binding in the init-statement
        std::string x = name, y = fresh("y");
        declaring_ = {x, y};
        std::string e2 = genInt(1, lvlIf(k_cond_parks));
        declaring_.clear();
        declare(Var{x, Ty::Int});
        declare(Var{y, Ty::Int});
        head = "auto [" + x + ", " + y + "] = std::pair<int, int>{" + e + ", " + e2 + "}; " + x + " < " + y;
      } else if (form < 55) {  // a condition that declares
        declare(Var{name, Ty::Int});
        head = "int " + name + " = " + e;
      } else {
        declare(Var{name, Ty::Int});
        head = cat({"int ", name, " = ", e, "; ", name, rng_.pct(50) ? " > " : " % 2 == ", std::to_string(rng_.below(3))});
      }
    } else {
      head = unparen(genBool(2, lvlIf(k_cond_parks)));
    }
    emit(ind, "if (" + head + ") {");
    body(in, ind + 1, subCount(), init, true, init);  // logs the condition's variables
    while (rng_.pct(40)) {
      if (rng_.pct(40)) {
        emit(ind, "} else if (" + unparen(genBool(1, lvlIf(k_cond_parks))) + ") {");
        body(in, ind + 1, subCount(), init);
        continue;
      }
      emit(ind, "} else {");
      body(in, ind + 1, subCount(), init);
      break;
    }
    emit(ind, "}");
    popScope();
  }

  void whileStmt(const Ctx& c, int ind) {
    Ctx in = c;
    in.depth++;
    in.noDecl = false;
    in.inLoop = in.canBreak = true;
    int bound = rng_.range(1, 3);
    in.mult *= bound;
    CtxScope loopCtx(this, in);  // the condition runs with the body
    std::string w = fresh("w");
    emit(ind, "{");
    pushScope();
    emit(ind + 1, "int " + w + " = 0;");
    declare(counterVar(w));
    std::string cond = w + "++ < " + std::to_string(bound);
    if (rng_.pct(60)) cond += " && " + genBool(1, lvlIf(k_cond_parks));
    emit(ind + 1, "while (" + cond + ") {");
    body(in, ind + 2, subCount(), true);
    emit(ind + 1, "}");
    popScope();
    emit(ind, "}");
  }

  void doStmt(const Ctx& c, int ind) {
    Ctx in = c;
    in.depth++;
    in.noDecl = false;
    in.inLoop = in.canBreak = true;
    int bound = rng_.range(1, 3);
    in.mult *= bound;
    CtxScope loopCtx(this, in);  // the condition runs with the body
    std::string d = fresh("d");
    emit(ind, "{");
    pushScope();
    emit(ind + 1, "int " + d + " = 0;");
    declare(counterVar(d));
    emit(ind + 1, "do {");
    body(in, ind + 2, subCount());
    std::string cond = "++" + d + " < " + std::to_string(bound);
    if (rng_.pct(50)) cond += " && " + genBool(1, lvlIf(k_cond_parks));
    emit(ind + 1, "} while (" + cond + ");");
    popScope();
    emit(ind, "}");
  }

  void forStmt(const Ctx& c, int ind) {
    Ctx in = c;
    in.depth++;
    in.noDecl = false;
    in.inLoop = in.canBreak = true;
    int bound = rng_.range(1, 3);
    in.mult *= bound + 1;
    CtxScope loopCtx(this, in);
    std::string i = fresh("i");
    bool parks = on(k_cond_parks) && rng_.pct(50);
    std::string init = parks && rng_.pct(50) ? "braid::park(fz::L(" + std::to_string(site()) + ", 0))" : "0";
    std::string lim = std::to_string(bound);
    if (parks && rng_.pct(50))
      lim = std::string("braid::park(fz::") + (on(k_async) && rng_.pct(50) ? "A(" : "L(") + std::to_string(site()) + ", " +
            std::to_string(bound) + "))";
    std::string inc = "++" + i;
    if (parks && rng_.pct(40)) inc = i + " += braid::park(fz::L(" + std::to_string(site()) + ", 1))";
    pushScope();
    declare(counterVar(i));
    emit(ind, "for (int " + i + " = " + init + "; " + i + " < " + lim + "; " + inc + ") {");
    body(in, ind + 1, subCount(), true, true, true);
    emit(ind, "}");
    popScope();
  }

  void rangeFor(const Ctx& c, int ind) {
    Ctx in = c;
    in.depth++;
    in.noDecl = false;
    in.inLoop = in.canBreak = true;
    in.mult *= 3;
    std::vector<Var> pool;
    const Var* pv = on(k_bindings) ? pickVar(pool, [](const Var& v) { return v.ty == Ty::PVec; }) : nullptr;
    pushScope();
    if (pv && rng_.pct(60)) {
      std::string x = fresh("k"), y = fresh("m");
      bool ref = rng_.pct(50);
      emit(ind, std::string("for (") + (ref ? "auto& [" : "auto [") + x + ", " + y + "] : " + pv->name + ") {");
      declare(Var{x, Ty::Int});
      declare(Var{y, Ty::Int});
    } else {
      const Var* v = pickVar(pool, [](const Var& x) { return x.ty == Ty::Vec; });
      std::string e = fresh("it");
      bool ref = rng_.pct(50);
      std::string range;
      int form = rng_.below(4);
      if (v && form <= 1) {
        range = v->name;
      } else if (form <= 1) {
        range = cat({"std::vector<int>{", leafValue(), ", ", leafValue(), "}"});
      } else {
        // A temporary range (kept by value), made by a park; or a member of a
        // temporary (the reference __range extends the whole object).
        std::string made = cat({"std::vector<int>(", std::to_string(rng_.range(1, 3)), ", ", genInt(1, lvlIf(k_cond_parks)), ")"});
        range = form == 2 || !on(k_member_temps) ? made : "fz::Box{" + made + "}.v";
      }
      emit(ind, std::string("for (") + (ref ? "int& " : "int ") + e + " : " + range + ") {");
      declare(Var{e, Ty::Int, true, false, true});
    }
    body(in, ind + 1, subCount(), true, true, true);
    emit(ind, "}");
    popScope();
  }

  void switchStmt(const Ctx& c, int ind) {
    Ctx in = c;
    in.depth++;
    in.canBreak = true;
    in.noDecl = true;  // a declaration in a case would be jumped over
    std::string sel;
    int r = rng_.below(100);
    bool init = on(k_if_init) && rng_.pct(15);
    pushScope();
    std::string head;
    if (init) {
      std::string name = newName("v");
      declaring_ = {name};
      std::string e = genInt(1, lvlIf(k_cond_parks));
      declaring_.clear();
      declare(Var{name, Ty::Int});
      head = "int " + name + " = " + e + "; ";
      sel = name + " % 4";
    } else if (r < 35 && on(k_switch_sum) && on(k_cond_parks)) {
      sel = cat({"braid::park(fz::Q(", std::to_string(rng_.below(3)), ")) + braid::park(fz::Q(", std::to_string(rng_.below(3)), "))"});
    } else if (r < 60 && on(k_cond_parks)) {
      sel = parkInt(Effect);
    } else {
      sel = "(" + genInt(1, lvlIf(k_cond_parks)) + ") % 5";
    }
    emit(ind, "switch (" + head + sel + ") {");
    std::vector<int> values;
    int ncase = rng_.range(1, 4);
    while (static_cast<int>(values.size()) < ncase) {
      int v = rng_.below(5);
      bool dup = false;
      for (int x : values) dup |= x == v;
      if (!dup) values.push_back(v);
    }
    int defaultAt = rng_.pct(60) ? rng_.below(ncase + 1) : -1;
    int labels = ncase + (defaultAt >= 0 ? 1 : 0);
    int vi = 0;
    for (int l = 0; l < labels; ++l) {
      if (l == defaultAt)
        emit(ind + 1, "default:");
      else
        emit(ind + 1, "case " + std::to_string(values[static_cast<std::size_t>(vi++)]) + ":");
      pushScope();
      list(in, ind + 2, subCount());
      popScope();
      if (l + 1 < labels && on(k_fallthrough) && rng_.pct(45))
        emit(ind + 2, "[[fallthrough]];");
      else
        emit(ind + 2, "break;");
    }
    emit(ind, "}");
    popScope();
  }

  void tryStmt(const Ctx& c, int ind) {
    Ctx in = c;
    in.depth++;
    in.noDecl = false;
    in.tryDepth++;
    emit(ind, "try {");
    body(in, ind + 1, subCount() + 1);
    // Clauses: derived before base, catch (...) last.
    std::vector<int> clauses;
    int pool[] = {0, 1, 2, 3, 4};
    for (int k : pool)
      if (rng_.pct(40)) clauses.push_back(k);
    if (!on(k_catch_cancelled))
      for (std::size_t i = 0; i < clauses.size(); ++i)
        if (clauses[i] == 3) clauses.erase(clauses.begin() + static_cast<long>(i--));
    if (clauses.empty() || rng_.pct(50)) clauses.push_back(5);
    Ctx h = c;
    h.depth++;
    h.noDecl = false;
    h.handler++;
    for (int k : clauses) {
      std::string e = rng_.pct(70) ? "e" : fresh("e");
      switch (k) {
        case 0:
          emit(ind, std::string("} catch (") + (rng_.pct(50) ? "const std::runtime_error& " : "std::runtime_error ") + e + ") {");
          emit(ind + 1, "fz::ev(std::string(\"rt:\") + " + e + ".what());");
          break;
        case 1:
          emit(ind, "} catch (const std::out_of_range& " + e + ") {");
          emit(ind + 1, "fz::ev(std::string(\"oor:\") + " + e + ".what());");
          break;
        case 2:
          emit(ind, std::string("} catch (") + (rng_.pct(50) ? "const std::logic_error& " : "std::logic_error ") + e + ") {");
          emit(ind + 1, "fz::ev(std::string(\"lg:\") + " + e + ".what());");
          break;
        case 3:
          emit(ind, "} catch (const braid::cancelled&) {");
          emit(ind + 1, "fz::ev(\"cc\");");
          break;
        case 4:
          emit(ind, "} catch (const std::exception& " + e + ") {");
          emit(ind + 1, "fz::ev(std::string(\"ex:\") + " + e + ".what());");
          break;
        default:
          emit(ind, "} catch (...) {");
          emit(ind + 1, "fz::ev(\"all\");");
          break;
      }
      Ctx hc = h;
      if (k != 3 && k != 5) hc.exc = e;  // a named clause
      body(hc, ind + 1, subCount(), true);
    }
    emit(ind, "}");
  }

  void gotoFwd(const Ctx& c, int ind) {
    Ctx in = c;
    in.depth++;
    in.noDecl = true;  // the label must not follow a declaration of this block
    std::string l = "L" + std::to_string(site());
    in.fwd.push_back(l);
    emit(ind, "{");
    pushScope();
    // Statement boundaries of this block, where a goto may be added.
    std::vector<std::size_t> marks;
    int n = subCount() + 1;
    for (int i = 0; i < n && left_ > 0; ++i) {
      marks.push_back(f_.lines.size());
      stmt(in, ind + 1);
    }
    marks.push_back(f_.lines.size());
    popScope();
    if (!usedLabels_.count(l)) {
      // No jump to it was generated (-Wunused-label): add one here.
      std::size_t at = marks[static_cast<std::size_t>(rng_.below(static_cast<int>(marks.size())))];
      std::string line = std::string(static_cast<std::size_t>(ind + 1) * 2, ' ') + "if (" + unparen(genBool(1, Pure)) + ") goto " + l + ";";
      f_.lines.insert(f_.lines.begin() + static_cast<long>(at), line);
    }
    emit(ind, l + ": fz::ev(" + quoteC(f_.name + "." + l) + ");");
    emit(ind, "}");
  }

  void gotoBack(const Ctx& c, int ind) {
    Ctx in = c;
    in.depth++;
    in.noDecl = false;
    in.mult *= 3;
    std::string l = "L" + std::to_string(site());
    std::string g = fresh("g");
    emit(ind, "{");
    pushScope();
    emit(ind + 1, "int " + g + " = 0;");
    declare(counterVar(g));
    emit(ind + 1, l + ": fz::ev(" + quoteC(f_.name + "." + l) + ");");
    in.back.emplace_back(l, g);
    list(in, ind + 1, subCount());
    observeScope(ind + 1);
    emit(ind + 1, "if (++" + g + " < " + std::to_string(rng_.range(2, 3)) + ") goto " + l + ";");
    popScope();
    emit(ind, "}");
  }

  const Options& opt_;
  Rng rng_;
  std::vector<Func>& prior_;
  Func& f_;
  int& site_;
  std::vector<Scope> scopes_;
  std::set<std::string> shadow_;
  std::set<std::string> declared_;
  std::set<std::string> usedLabels_;
  bool copyCapture_ = false;  // inside a [=] lambda: no non-copyable variable
  int noGlobals_ = 0;         // inside a PureLocal operand: no namespace-scope variable
  std::set<std::string> declaring_;  // names whose initializer is being written
  int left_ = 0;
  int names_ = 0;
  int forks_ = 0;  // fork points written in a BRAID_AP body
  const Ctx* ctx_ = nullptr;
};

// ---- the file ------------------------------------------------------------

void usage(FILE* to) {
  std::fprintf(to,
               "usage: fuzz_gen [options]   writes a BRAID_SP program to stdout (docs/fuzz.md)\n"
               "  --seed N            seed (default 1)\n"
               "  --functions N       functions in the file (default 10)\n"
               "  --stmts N           statements per function, all levels (default 14)\n"
               "  --depth N           nesting of compound statements (default 3)\n"
               "  --park-rate P       percent of expression leaves that park (default 35)\n"
               "  --cancels N         cancelled runs per function, 0 for none (default 24)\n"
               "  --keep I,J,...      emit only these functions (and those they call)\n"
               "  --drop I,J,...      leave out these functions and those that call them\n"
               "  --disable A,B,...   turn constructs off (see --list-features)\n"
               "  --only A,B,...      turn every construct off except these\n"
               "  --list-features     print the construct names\n");
}

bool splitList(const std::string& s, std::vector<std::string>& out) {
  std::size_t p = 0;
  while (p <= s.size()) {
    std::size_t q = s.find(',', p);
    if (q == std::string::npos) q = s.size();
    if (q > p) out.push_back(s.substr(p, q - p));
    p = q + 1;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  std::string cmdline;
  for (int i = 1; i < argc; ++i) cmdline += std::string(" ") + argv[i];
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "fuzz_gen: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    auto number = [&]() -> long long {
      std::string v = value();
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end) {
        std::fprintf(stderr, "fuzz_gen: %s: not a number: %s\n", a.c_str(), v.c_str());
        std::exit(2);
      }
      return n;
    };
    if (a == "--help" || a == "-h") {
      usage(stdout);
      return 0;
    } else if (a == "--list-features") {
      for (const FeatureInfo& f : kFeatures) std::printf("%-16s %s\n", dashed(f.name).c_str(), f.help);
      return 0;
    } else if (a == "--seed") {
      opt.seed = static_cast<std::uint64_t>(number());
    } else if (a == "--functions") {
      opt.functions = static_cast<int>(number());
    } else if (a == "--stmts") {
      opt.stmts = static_cast<int>(number());
    } else if (a == "--depth") {
      opt.depth = static_cast<int>(number());
    } else if (a == "--park-rate") {
      opt.parkRate = static_cast<int>(number());
    } else if (a == "--cancels") {
      opt.cancels = static_cast<int>(number());
    } else if (a == "--keep") {
      std::vector<std::string> items;
      splitList(value(), items);
      for (const std::string& s : items) opt.keep.push_back(std::atoi(s.c_str()));
    } else if (a == "--drop") {
      std::vector<std::string> items;
      splitList(value(), items);
      for (const std::string& s : items) opt.drop.push_back(std::atoi(s.c_str()));
    } else if (a == "--disable" || a == "--only" || a == "--enable") {
      std::vector<std::string> items;
      splitList(value(), items);
      if (a == "--only")
        for (bool& b : opt.on) b = false;
      for (const std::string& s : items) {
        int k = featureIndex(s);
        if (k < 0) {
          std::fprintf(stderr, "fuzz_gen: unknown construct '%s' (see --list-features)\n", s.c_str());
          return 2;
        }
        opt.on[k] = a != "--disable";
      }
    } else {
      std::fprintf(stderr, "fuzz_gen: unknown option '%s'\n", a.c_str());
      usage(stderr);
      return 2;
    }
  }
  if (opt.functions < 1 || opt.stmts < 0 || opt.depth < 0) {
    std::fprintf(stderr, "fuzz_gen: --functions must be at least 1, --stmts and --depth not negative\n");
    return 2;
  }

  std::vector<Func> funcs;
  int site = 0;
  for (int i = 0; i < opt.functions; ++i) {
    Func f;
    f.index = i;
    f.name = "f" + std::to_string(i);
    FuncGen g(opt, funcs, f, site);
    g.run();
    funcs.push_back(std::move(f));
  }

  // The functions to emit: the kept ones and, transitively, their callees.
  std::vector<bool> emitted(funcs.size(), opt.keep.empty());
  std::vector<int> work = opt.keep;
  while (!work.empty()) {
    int k = work.back();
    work.pop_back();
    if (k < 0 || k >= static_cast<int>(funcs.size()) || emitted[static_cast<std::size_t>(k)]) continue;
    emitted[static_cast<std::size_t>(k)] = true;
    for (int c : funcs[static_cast<std::size_t>(k)].callees) work.push_back(c);
  }
  // Callees come first (a function calls earlier ones only).
  std::vector<bool> dropped(funcs.size(), false);
  for (int k : opt.drop)
    if (k >= 0 && k < static_cast<int>(funcs.size())) dropped[static_cast<std::size_t>(k)] = true;
  for (const Func& f : funcs) {
    for (int c : f.callees) dropped[static_cast<std::size_t>(f.index)] = dropped[static_cast<std::size_t>(f.index)] || dropped[static_cast<std::size_t>(c)];
    if (dropped[static_cast<std::size_t>(f.index)]) emitted[static_cast<std::size_t>(f.index)] = false;
  }

  std::printf("// Generated by fuzz_gen%s. Do not edit.\n", cmdline.c_str());
  std::printf("#include \"braid_fuzz.hpp\"\n\n");
  std::printf("// Namespace-scope names: plain globals, and names the driver's bases also\n");
  std::printf("// declare (a frame member would hide them).\n");
  std::printf("int n = 7;\nbool cond = true;\nint total = 0;\nint acc = 100;\nstd::string label = \"g\";\nint resume = 3;\n");
  std::printf("int state(int v) { return v + 1; }\nint table(int v) { return v * 2 %% 7; }\n");
  std::printf("int start(int v) { return v - 1; }\nint finish(int v) { return v ^ 3; }\n");
  std::printf("int release(int v) { return v + 4; }\n\n");
  std::printf("static void reset_globals() {\n  n = 7;\n  cond = true;\n  total = 0;\n  acc = 100;\n  label = \"g\";\n}\n");
  for (const Func& f : funcs) {
    if (!emitted[static_cast<std::size_t>(f.index)]) continue;
    std::printf("\n// ---- %s\n", f.name.c_str());
    for (const std::string& l : f.lines) std::printf("%s\n", l.c_str());
  }
  std::printf("\nint main() {\n  fz::begin();\n");
  for (const Func& f : funcs) {
    if (!emitted[static_cast<std::size_t>(f.index)]) continue;
    std::string args;
    Rng arg(opt.seed ^ (0xabcdefULL + static_cast<std::uint64_t>(f.index)));
    for (std::size_t i = 0; i < f.params.size(); ++i) {
      const Param& p = f.params[i];
      if (p.defaulted && arg.pct(50)) break;
      std::string a = p.ref ? "fz::ref_cell" : p.ty == Ty::Str ? "std::string(\"hi\")" : std::to_string(arg.below(6));
      args += (i ? ", " : "") + a;
    }
    if (f.ap) {
      std::printf("  fz::run_ap(\"%s\", reset_globals, [] { return %s(%s); });\n", f.name.c_str(), f.name.c_str(),
                  args.c_str());
      continue;
    }
    int cancels = opt.on[k_cancel] ? opt.cancels : 0;
    std::printf("  fz::run_top(\"%s\", %d, reset_globals, [] { return %s(%s); });\n", f.name.c_str(), cancels,
                f.name.c_str(), args.c_str());
  }
  std::printf("}\n");
  return 0;
}
