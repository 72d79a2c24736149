#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/compiler/fuzz/run.sh: the differential fuzzer's runner (docs/fuzz.md).
#
# For each seed: fuzz_gen writes a program; braidc transforms it; g++ builds
# it twice (transformed against libbraid, and direct with -DBRAID_FUZZ_DIRECT,
# the reference); both run; their outputs are compared line by line. Every
# failure is classified and explained:
#   invalid-program   the direct build does not compile or crashes: a
#                     generator bug (the program is not valid C++)
#   braidc-internal   braidc exited 3 (an internal error)
#   braidc-refusal    braidc exited 1: a construct docs/compiler.md says is
#                     supported is a braidc bug; a documented refusal means
#                     the generator must avoid it
#   braidc-failed     braidc exited otherwise (2: usage, or a signal)
#   generated-compile the code braidc generated does not compile
#   crash, hang       the transformed program crashed, or did not end
#   mismatch          the two programs printed different lines (the first
#                     differing line, i.e. function and cancel point, is shown)
#   sanitizer         the optional ASan+UBSan build of the transformed code
#                     reported an error (or printed something else)
# Only bash and coreutils: the CI machine has no Python.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

usage() {
  cat <<'EOF'
usage: run.sh [options] [-- fuzz_gen options...]
  --braidc PATH       braidc (default: $BRAIDC, else build/main/compiler/braidc)
  --gen PATH          the fuzz_gen executable (default: $FUZZ_GEN, else build/main/ or build/ of this tree)
  --lib PATH          libbraid.a for the transformed build (default: build/main/ or build/ of this tree)
  --include DIR       braid's headers (default: runtime/include of this tree)
  --cxx COMPILER      compiler of both builds (default: $CXX or g++)
  --cxxflags FLAGS    flags of both builds (default: -O0)
  --launcher CMD      prefix of every compile (e.g. ccache)
  --tr-flags FLAGS    extra flags of the transformed build only (e.g. a sanitizer
                      job's -fsanitize=..., matching the libbraid it links)
  --sanitize          also build the transformed code with clang++-19 -O0
                      -fsanitize=address,undefined and run it
  --sanitize-only     build the transformed code only that way (a campaign's
                      cheaper mode: one build of the generated code, not two)
  --seed N            first seed (default 1)
  --count N           number of seeds (default 1)
  --functions N       functions per file (default 10; passed to fuzz_gen)
  --disable A,B       constructs off (fuzz_gen --list-features), also --only A,B
  --jobs N            seeds run in parallel (default 1)
  --work DIR          work directory (default: a temporary one)
  --keep-work         keep the work directory (also kept when something fails)
  --timeout SEC       per program run (default 20)
  --no-pch            do not precompile the prelude (done for g++ by default)
  --check FILE        check this existing program instead of generating
                      (the shrinker's test; prints the result line)
  -q, --quiet         print only failures and the summary
Options after -- go to fuzz_gen unchanged (--stmts, --depth, --park-rate, --cancels, --keep...).
Exit status: 0 when every seed passed, 1 when one failed, 2 on a usage error.
EOF
}

braidc=${BRAIDC:-}
gen=${FUZZ_GEN:-}
lib=
include=$root/runtime/include
cxx=${CXX:-g++}
cxxflags="-O0"
use_pch=1
launcher=""
trflags=""
sanitize=0
sanitize_only=0
seed=1
count=1
functions=10
jobs=1
work=
keep_work=0
timeout_s=20
check=
quiet=0
gen_args=()

while [ $# -gt 0 ]; do
  case $1 in
    --braidc) braidc=$2; shift 2 ;;
    --gen) gen=$2; shift 2 ;;
    --lib) lib=$2; shift 2 ;;
    --include) include=$2; shift 2 ;;
    --cxx) cxx=$2; shift 2 ;;
    --cxxflags) cxxflags=$2; shift 2 ;;
    --launcher) launcher=$2; shift 2 ;;
    --no-pch) use_pch=0; shift ;;
    --tr-flags) trflags=$2; shift 2 ;;
    --sanitize) sanitize=1; shift ;;
    --sanitize-only) sanitize=1; sanitize_only=1; shift ;;
    --seed) seed=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --functions) functions=$2; shift 2 ;;
    --disable|--only|--enable) gen_args+=("$1" "$2"); shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --keep-work) keep_work=1; shift ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --check) check=$2; shift 2 ;;
    -q|--quiet) quiet=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; gen_args+=("$@"); break ;;
    *) echo "run.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

first_existing() {
  local f
  for f in "$@"; do
    if [ -e "$f" ]; then echo "$f"; return 0; fi
  done
  return 1
}
[ -n "$braidc" ] || braidc=$(first_existing "$root/build/main/compiler/braidc" "$root/build/compiler/braidc") || true
# The main build's first (tools/test: build/main; a plain build/), never a
# sanitizer build's by accident: its libbraid needs its flags.
[ -n "$gen" ] || gen=$(first_existing "$root/build/main/tests/compiler/fuzz/fuzz_gen" "$root/build/tests/compiler/fuzz/fuzz_gen") || true
[ -n "$lib" ] || lib=$(first_existing "$root/build/main/runtime/libbraid.a" "$root/build/runtime/libbraid.a") || true
for need in braidc lib; do
  if [ -z "${!need}" ] || [ ! -e "${!need}" ]; then
    echo "run.sh: no $need found; pass --$need" >&2
    exit 2
  fi
done
if [ -z "$check" ] && { [ -z "$gen" ] || [ ! -x "$gen" ]; }; then
  echo "run.sh: no fuzz_gen found; build it (ninja fuzz_gen) or pass --gen" >&2
  exit 2
fi
if [ "$sanitize" = 1 ] && ! command -v clang++-19 >/dev/null; then
  echo "run.sh: --sanitize needs clang++-19" >&2
  exit 2
fi

# Only what the runner makes is removed: its own temporary directory, or
# the s<seed> and check subdirectories of a --work directory.
own_work=0
if [ -z "$work" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/braid-fuzz.XXXXXX")
  own_work=1
else
  mkdir -p "$work"
fi
work=$(cd "$work" && pwd)
cleanup() {  # $@: the subdirectories used
  local x
  for x in "$@"; do rm -rf "${work:?}/$x"; done
  if [ "$own_work" = 1 ]; then rm -rf "$work/pch"; rmdir "$work" 2>/dev/null; fi
  return 0
}

# A precompiled prelude (g++ only) for each build: braid's headers are most
# of a small program's compile time (the shrinker compiles hundreds). Kept in
# <work>/pch and reused while the flags, the prelude and the headers stay the
# same. Sets pch_tr and pch_direct to an -I option, or to nothing.
pch_tr=()
pch_direct=()
setup_pch() {
  [ "$use_pch" = 1 ] || return 0
  # GCC's .gch (clang's precompiled headers work differently).
  $cxx -dM -E -x c++ /dev/null 2>/dev/null | grep -q __clang__ && return 0
  local kind flags dir stamp
  for kind in tr direct; do
    if [ $kind = tr ]; then
      flags="-std=c++20 -Wall -Wno-catch-value $cxxflags $trflags -DBRAID_GENERATED=1 -I$include"
    else
      flags="-std=c++20 -Wall -Wno-catch-value $cxxflags -DBRAID_FUZZ_DIRECT"
    fi
    dir=$work/pch/$kind
    stamp="$cxx $flags"
    mkdir -p "$dir"
    if [ ! -f "$dir/braid_fuzz.hpp.gch" ] || [ "$(cat "$dir/stamp" 2>/dev/null)" != "$stamp" ] ||
       [ -n "$(find "$here/braid_fuzz.hpp" "$include/braid" -newer "$dir/braid_fuzz.hpp.gch" 2>/dev/null | head -1)" ]; then
      rm -f "$dir/braid_fuzz.hpp.gch"
      # shellcheck disable=SC2086
      if ! $cxx $flags -x c++-header "$here/braid_fuzz.hpp" -o "$dir/braid_fuzz.hpp.gch.tmp" >"$dir/log" 2>&1; then
        continue  # compile without it
      fi
      mv "$dir/braid_fuzz.hpp.gch.tmp" "$dir/braid_fuzz.hpp.gch"
      echo "$stamp" >"$dir/stamp"
    fi
    if [ $kind = tr ]; then pch_tr=(-DBRAID_GENERATED=1 -I"$dir"); else pch_direct=(-I"$dir"); fi
  done
}

# The function of the generated file that holds line $2 (its "// ---- fN"
# marker is the last one above it), or "?".
function_at() {
  awk -v L="$2" 'NR > L { exit } /^\/\/ ---- f[0-9]+$/ { f = $3 } END { print (f == "" ? "?" : f) }' "$1"
}

# The functions of $2 that the errors of log $1 point into, in order, once each.
error_functions() {
  local line
  grep -oE "prog\.cpp:[0-9]+:[0-9]+: error" "$1" | cut -d: -f2 | while read -r line; do
    function_at "$2" "$line"
  done | awk '!seen[$0]++' | tr '\n' ' '
}

# A failure's signature, for the shrinker: the first error message with
# file positions, quoted names and numbers blanked.
signature() {
  grep -m1 -E "error:|runtime error:|ERROR:" "$1" 2>/dev/null |
    sed -E "s/^[^ ]*:[0-9]+:[0-9]+: //; s/'[^']*'/'_'/g; s/[0-9]+/N/g" | cut -c1-160
}

# Runs one program: $1 directory holding prog.cpp. Writes $1/result:
#   <class> <function or -> <signature>
# and $1/report (what to print about it).
check_one() {
  local d=$1 src=$1/prog.cpp
  local tflags=(-std=c++20 -Wall -Wno-catch-value $cxxflags -I"$here")
  : >"$d/report"
  : >"$d/fns"
  result() { echo "$1 ${2:--} ${3:-}" >"$d/result"; }

  # The reference first: a failure there is the generator's.
  if ! $launcher $cxx "${pch_direct[@]}" "${tflags[@]}" -DBRAID_FUZZ_DIRECT "$src" -o "$d/direct" >"$d/direct.log" 2>&1; then
    local line fn
    line=$(grep -m1 -oE "prog\.cpp:[0-9]+" "$d/direct.log" | cut -d: -f2)
    fn=$(function_at "$src" "${line:-0}")
    result invalid-program "$fn" "$(signature "$d/direct.log")"
    { echo "the direct (reference) build does not compile: a generator bug"; grep -m2 -A3 "error:" "$d/direct.log"; } >"$d/report"
    return
  fi
  timeout "$timeout_s" "$d/direct" >"$d/direct.out" 2>"$d/direct.err"
  local rc=$?
  if [ $rc -ne 0 ]; then
    result invalid-program - "direct build exit $rc"
    { echo "the direct (reference) build exited with $rc: a generator bug"; tail -5 "$d/direct.err"; } >"$d/report"
    return
  fi

  # braidc may be being rebuilt (a developer's tree): wait for it to come back.
  local waited
  rc=127
  for ((waited = 0; waited < 300; waited += 5)); do
    [ -x "$braidc" ] || { sleep 5; continue; }
    "$braidc" "$src" -o "$d/prog.braid.cpp" -- -std=c++20 -I"$include" -I"$here" >"$d/braidc.log" 2>&1
    rc=$?
    # 126/127: not executable / not found (being replaced); anything else is braidc's answer.
    [ $rc -eq 126 ] || [ $rc -eq 127 ] || break
    sleep 5
  done
  if [ $rc -ne 0 ]; then
    local cls line fn
    case $rc in
      1) cls=braidc-refusal ;;
      3) cls=braidc-internal ;;
      *) cls=braidc-failed ;;
    esac
    line=$(grep -m1 -oE "prog\.cpp:[0-9]+:[0-9]+: error" "$d/braidc.log" | cut -d: -f2)
    fn=$(function_at "$src" "${line:-0}")
    result $cls "$fn" "$(signature "$d/braidc.log")"
    error_functions "$d/braidc.log" "$src" >"$d/fns"
    { echo "braidc exited with $rc (errors in: $(cat "$d/fns")):"; grep -m2 -A4 "error:" "$d/braidc.log"; } >"$d/report"
    return
  fi

  if [ "$sanitize_only" = 0 ] &&
     ! $launcher $cxx "${pch_tr[@]}" "${tflags[@]}" $trflags -I"$include" "$d/prog.braid.cpp" "$lib" -pthread -o "$d/transformed" >"$d/tr.log" 2>&1; then
    local line fn
    line=$(grep -m1 -oE "prog\.cpp:[0-9]+:[0-9]+: error" "$d/tr.log" | cut -d: -f2)
    fn=$(function_at "$src" "${line:-0}")
    result generated-compile "$fn" "$(signature "$d/tr.log")"
    error_functions "$d/tr.log" "$src" >"$d/fns"
    { echo "the code braidc generated does not compile (errors in: $(cat "$d/fns"); lines of prog.cpp point into the source):"
      grep -m2 -A3 "error:" "$d/tr.log"; } >"$d/report"
    return
  fi

  compare_run() {  # $1 executable, $2 output name; sets the result on failure
    local exe=$1 out=$2 cls_crash=${3:-crash}
    timeout "$timeout_s" "$exe" >"$d/$out.out" 2>"$d/$out.err"
    local rc=$?
    local n_ok last next
    if [ $rc -ne 0 ]; then
      # The function that did not finish: the first line missing.
      n_ok=$(wc -l <"$d/$out.out")
      next=$(sed -n "$((n_ok + 1))p" "$d/direct.out" | cut -d' ' -f1-2)
      if [ $rc -eq 124 ]; then
        result hang "${next%% *}" "timeout"
        { echo "$out: no end after ${timeout_s}s, during run: $next"; } >"$d/report"
      else
        result "$cls_crash" "${next%% *}" "$(signature "$d/$out.err")"
        { echo "$out: exit status $rc during run: $next (its output matched up to there: $n_ok lines)"
          tail -25 "$d/$out.err"; } >"$d/report"
      fi
      return 1
    fi
    if [ "$cls_crash" = sanitizer ] && [ -s "$d/$out.err" ]; then
      result sanitizer - "$(signature "$d/$out.err")"
      { echo "$out printed to stderr:"; head -30 "$d/$out.err"; } >"$d/report"
      return 1
    fi
    if ! cmp -s "$d/direct.out" "$d/$out.out"; then
      local ln a b fn
      ln=$(cmp "$d/direct.out" "$d/$out.out" 2>/dev/null | sed -nE 's/.* line ([0-9]+).*/\1/p')
      if [ -z "$ln" ]; then  # one is a prefix of the other
        ln=$(( $(wc -l <"$d/direct.out") < $(wc -l <"$d/$out.out") ? $(wc -l <"$d/direct.out") + 1 : $(wc -l <"$d/$out.out") + 1 ))
      fi
      a=$(sed -n "${ln}p" "$d/direct.out")
      b=$(sed -n "${ln}p" "$d/$out.out")
      fn=${a%% *}
      [ -n "$fn" ] || fn=${b%% *}
      result mismatch "$fn" "$(echo "$a" | cut -d' ' -f2)"
      { echo "first difference, output line $ln:"
        echo "  direct:      $a"
        echo "  transformed: $b"
        [ -s "$d/$out.err" ] && { echo "  $out stderr:"; head -5 "$d/$out.err"; }; } >"$d/report"
      return 1
    fi
    return 0
  }
  if [ "$sanitize_only" = 0 ]; then compare_run "$d/transformed" transformed || return; fi

  if [ "$sanitize" = 1 ]; then
    # -O0: at -O1 -g a 150-function file takes seven times as long to build.
    local sflags=(-std=c++20 -O0 -gline-tables-only -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all -I"$here" -I"$include")
    if ! $launcher clang++-19 "${sflags[@]}" "$d/prog.braid.cpp" "$lib" -pthread -o "$d/sanitized" >"$d/san.log" 2>&1; then
      local line fn
      line=$(grep -m1 -oE "prog\.cpp:[0-9]+:[0-9]+: error" "$d/san.log" | cut -d: -f2)
      fn=$(function_at "$src" "${line:-0}")
      result generated-compile "$fn" "clang: $(signature "$d/san.log")"
      { echo "the generated code does not compile with clang++-19:"; grep -m2 -A3 "error:" "$d/san.log"; } >"$d/report"
      return
    fi
    compare_run "$d/sanitized" sanitized sanitizer || return
  fi
  result ok - ""
}

setup_pch

if [ -n "$check" ]; then
  mkdir -p "$work/check"
  cp "$check" "$work/check/prog.cpp"
  check_one "$work/check"
  cat "$work/check/result"
  [ "$quiet" = 1 ] || cat "$work/check/report"
  read -r cls _ <"$work/check/result"
  [ "$keep_work" = 1 ] || cleanup check
  [ "$cls" = ok ]
  exit
fi

# One seed: generate, check; after a failure in a known function, check the
# file again without that function (and its callers), up to $retries times,
# so that one failure does not hide the rest of the file. Each attempt's
# result line and report are appended to $d/results and $d/reports.
retries=4
run_seed() {
  local s=$1 d=$work/s$1
  mkdir -p "$d"
  : >"$d/results"
  : >"$d/reports"
  local drop="" attempt cls fn sig
  for ((attempt = 0; attempt <= retries; attempt++)); do
    if ! "$gen" --seed "$s" --functions "$functions" "${gen_args[@]}" ${drop:+--drop "$drop"} >"$d/prog.cpp" 2>"$d/gen.err"; then
      echo "gen-error - $(head -1 "$d/gen.err")" >>"$d/results"
      echo "fuzz_gen failed: $(cat "$d/gen.err")" >>"$d/reports"
      return
    fi
    [ "$attempt" = 0 ] && cp "$d/prog.cpp" "$d/prog.first.cpp"
    check_one "$d"
    cat "$d/result" >>"$d/results"
    read -r cls fn sig <"$d/result"
    [ "$cls" = ok ] && return
    cp "$d/prog.cpp" "$d/fail$attempt.cpp"
    { echo "@@${drop:+ (without f${drop//,/, f} and their callers)}"; cat "$d/report"
      echo "program: $d/fail$attempt.cpp"; } >>"$d/reports"
    [[ $fn =~ ^f[0-9]+$ ]] || return
    [ "$cls" = invalid-program ] && return
    # Every function the errors point into goes at once.
    local f
    for f in $(cat "$d/fns") $fn; do
      [[ $f =~ ^f[0-9]+$ ]] && [[ ",$drop," != *",${f#f},"* ]] && drop=${drop:+$drop,}${f#f}
    done
  done
}

started=$SECONDS
last=$((seed + count - 1))
for ((s = seed; s <= last; s++)); do
  run_seed "$s" &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
done
wait

failed=0
declare -A by_class=()
fns=0
lines=0
for ((s = seed; s <= last; s++)); do
  d=$work/s$s
  fns=$((fns + $(grep -c '^// ---- f' "$d/prog.first.cpp" 2>/dev/null || echo 0)))
  [ -f "$d/direct.out" ] && lines=$((lines + $(wc -l <"$d/direct.out")))
  # The reports, one per failed attempt, in order.
  awk '/^@@/ { n++ } n { print > (FILENAME ".part" n) }' "$d/reports"
  i=0
  while read -r cls fn sig; do
    if [ "$cls" = ok ]; then
      if [ "$i" = 0 ]; then
        [ "$quiet" = 1 ] || echo "seed $s: ok"
      else
        [ "$quiet" = 1 ] || echo "seed $s: the rest of the file passed"
      fi
      continue
    fi
    i=$((i + 1))
    failed=$((failed + 1))
    by_class[$cls]=$(( ${by_class[$cls]:-0} + 1 ))
    echo "seed $s: $cls in $fn${sig:+ ($sig)}"
    [ -f "$d/reports.part$i" ] && sed '1s/^@@ *//; s/^/  /' "$d/reports.part$i"
    if [[ $fn =~ ^f[0-9]+$ ]]; then
      echo "  shrink: $here/shrink.sh --seed $s --functions $functions --target $fn${gen_args[*]:+ -- ${gen_args[*]}}"
    fi
  done <"$d/results"
  rm -f "$d"/reports.part*
done

summary="fuzz: $count seeds, $fns functions, $lines runs compared, $failed failures"
for c in "${!by_class[@]}"; do summary+=", $c: ${by_class[$c]}"; done
echo "$summary ($((SECONDS - started)) s)"
if [ "$failed" -gt 0 ] || [ "$keep_work" = 1 ]; then
  echo "work directory: $work"
else
  subdirs=()
  for ((s = seed; s <= last; s++)); do subdirs+=("s$s"); done
  cleanup "${subdirs[@]}"
fi
[ "$failed" -eq 0 ]
