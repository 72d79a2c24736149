#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/compiler/fuzz/shrink.sh: reduces a failing fuzz seed (or program) to
# a small reproducer that fails the same way (docs/fuzz.md).
#
#   1. keep only the failing function and the functions it calls
#      (fuzz_gen --keep), trying each function when the failure names none;
#   2. regenerate with constructs turned off, one at a time, and with fewer
#      statements and less nesting, keeping each change that still fails;
#   3. delete statements from the text, a whole compound statement at a time
#      and then the statements inside those that must stay, until no single
#      deletion keeps the failure.
# "The same way": the same class (run.sh), and for braidc's diagnostics,
# compile errors and sanitizer reports the same first message (names and
# numbers aside). A candidate whose direct build does not compile is never
# kept (its class is invalid-program). The final return of a function is
# never deleted (running off the end is undefined in the direct build).
#
# Prints the reproducer and writes it to <work>/reduced.cpp.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)

usage() {
  cat <<'EOF'
usage: shrink.sh --seed N [--functions N] [--target fK] [run.sh options] [-- fuzz_gen options]
       shrink.sh --file prog.cpp [run.sh options]        (step 3 only)
  run.sh options passed on: --braidc --gen --lib --include --cxx --cxxflags
  --tr-flags --launcher --sanitize --timeout
  --work DIR          where to shrink (default: a temporary directory, kept)
  --target fK         shrink the failure of function fK (run.sh names it)
  --no-regenerate     skip step 2
EOF
}

seed=
file=
target=
functions=10
work=
regen=1
run_args=()
gen_args=()
gen=${FUZZ_GEN:-}
while [ $# -gt 0 ]; do
  case $1 in
    --seed) seed=$2; shift 2 ;;
    --file) file=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --functions) functions=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --no-regenerate) regen=0; shift ;;
    --gen) gen=$2; run_args+=("$1" "$2"); shift 2 ;;
    --braidc|--lib|--include|--cxx|--cxxflags|--tr-flags|--launcher|--timeout) run_args+=("$1" "$2"); shift 2 ;;
    --sanitize) run_args+=("$1"); shift ;;
    --disable|--only|--enable) gen_args+=("$1" "$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; gen_args+=("$@"); break ;;
    *) echo "shrink.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
if [ -z "$seed" ] && [ -z "$file" ]; then usage >&2; exit 2; fi
if [ -n "$seed" ] && [ -z "$gen" ]; then
  root=$(cd "$here/../../.." && pwd)
  for g in "$root/build/main/tests/compiler/fuzz/fuzz_gen" "$root/build/tests/compiler/fuzz/fuzz_gen"; do
    if [ -x "$g" ]; then gen=$g; break; fi
  done
  [ -n "$gen" ] || { echo "shrink.sh: no fuzz_gen found; pass --gen" >&2; exit 2; }
fi
[ -n "$work" ] || work=$(mktemp -d "${TMPDIR:-/tmp}/braid-shrink.XXXXXX")
mkdir -p "$work"
work=$(cd "$work" && pwd)
: >"$work/trials"

# check FILE: prints "<class> <function> <signature>" of FILE.
check() {
  echo >>"$work/trials"  # counted in a file: check runs in $(...)
  "$here/run.sh" "${run_args[@]}" --check "$1" --work "$work/run" --quiet 2>/dev/null | head -1
}
# same RESULT: does RESULT fail the way the original did?
same() {
  local cls fn sig
  read -r cls fn sig <<<"$1"
  [ "$cls" = "$want_cls" ] || return 1
  case $cls in
    # The same function must fail (not a callee that started failing of its own).
    mismatch|crash|hang) [[ ! $want_fn =~ ^f[0-9]+$ ]] || [ "$fn" = "$want_fn" ] ;;
    *) [ "$sig" = "$want_sig" ] ;;
  esac
}

cur=$work/current.cpp
if [ -n "$file" ]; then
  cp "$file" "$cur"
else
  "$gen" --seed "$seed" --functions "$functions" "${gen_args[@]}" ${target:+--keep "${target#f}"} >"$cur" || exit 2
fi
res=$(check "$cur")
read -r want_cls want_fn want_sig <<<"$res"
if [ "$want_cls" = ok ] || [ -z "$want_cls" ]; then
  echo "shrink.sh: the program does not fail ($res)"
  exit 1
fi
if [ "$want_cls" = invalid-program ]; then
  echo "shrink.sh: the program is not valid C++ (a generator bug); nothing to shrink against"
  exit 1
fi
echo "failure: $res"

# ---- 1 and 2: regenerate --------------------------------------------------
if [ -n "$seed" ]; then
  opts=(--seed "$seed" --functions "$functions" "${gen_args[@]}")
  [ -n "$target" ] && opts+=(--keep "${target#f}")
  try_gen() {  # extra fuzz_gen options; keeps them when the failure stays
    "$gen" "${opts[@]}" "$@" >"$work/try.cpp" 2>/dev/null || return 1
    local r
    r=$(check "$work/try.cpp")
    if same "$r"; then
      cp "$work/try.cpp" "$cur"
      opts+=("$@")
      echo "  kept: $* ($r)"
      return 0
    fi
    return 1
  }
  if [ -z "$target" ]; then
    kept=0
    if [[ $want_fn =~ ^f[0-9]+$ ]] && try_gen --keep "${want_fn#f}"; then
      kept=1
    else
      for ((i = functions - 1; i >= 0; i--)); do
        if try_gen --keep "$i"; then kept=1; break; fi
      done
    fi
    [ "$kept" = 1 ] || echo "  no single function (with its callees) fails alone; keeping them all"
  fi
  if [ "$regen" = 1 ]; then
    for f in $("$gen" --list-features | cut -d' ' -f1); do
      try_gen --disable "$f" || true
    done
    for n in 2 4 6 9; do try_gen --stmts "$n" && break; done
    for n in 1 2; do try_gen --depth "$n" && break; done
    try_gen --cancels 0 || true
  fi
fi

# ---- 3: delete statements -----------------------------------------------
# The generator writes one simple statement per line, and a compound one as
# a line ending in `{`, its body indented two more spaces, and a closing line
# at its own indentation starting with `}` (`} else {` and `} catch (...) {`
# continue it). unit_end N: the last line of the statement starting at N.
unit_end() {
  local i=$1 line=${lines[$(($1 - 1))]}
  local ind=${line%%[! ]*}
  if [[ ! $line =~ \{$ ]]; then echo "$i"; return; fi
  local j
  for ((j = i + 1; j <= ${#lines[@]}; j++)); do
    local l=${lines[$((j - 1))]}
    local lind=${l%%[! ]*}
    if [ "${#lind}" -eq "${#ind}" ] && [[ $l =~ ^\ *\} ]] && [[ ! $l =~ \{$ ]]; then
      echo "$j"
      return
    fi
  done
  echo "$i"
}
# deletable N: a statement inside a BRAID_SP function, not its final return.
deletable() {
  local l=${lines[$(($1 - 1))]}
  [ "${infn[$1]:-0}" = 1 ] || return 1
  [[ $l =~ ^\ +[^\ \}] ]] || return 1
  if [[ $l =~ ^\ \ return\  ]] && [ "${lines[$1]:-}" = "}" ]; then return 1; fi
  return 0
}
rescan() {
  mapfile -t lines <"$cur"
  infn=()
  local k l inside=0
  for ((k = 1; k <= ${#lines[@]}; k++)); do
    l=${lines[$((k - 1))]}
    if [[ $l =~ ^BRAID_SP ]]; then inside=1; continue; fi
    if [ "$inside" = 1 ] && [ "$l" = "}" ]; then inside=0; fi
    infn[$k]=$inside
  done
}
# attempt DESCRIPTION: keeps try.cpp when it fails the same way.
attempt() {
  local r
  r=$(check "$work/try.cpp")
  if same "$r"; then
    cp "$work/try.cpp" "$cur"
    echo "  $1"
    rescan
    return 0
  fi
  return 1
}

# Functions first: main's runs of the other functions, then whole functions
# nothing calls any more (from the last: callers come after their callees).
rescan
if [[ $want_fn =~ ^f[0-9]+$ ]]; then
  grep -v -E "^  fz::run_top\(\"f[0-9]+\"" "$cur" >"$work/try.cpp"
  grep -E "^  fz::run_top\(\"$want_fn\"" "$cur" >"$work/run_line"
  # Put the target's run back at the end of main.
  awk -v L="$(cat "$work/run_line")" '/^}$/ && inmain { print L } /^int main\(\) \{$/ { inmain = 1 } { print }' "$work/try.cpp" >"$work/try2.cpp"
  mv "$work/try2.cpp" "$work/try.cpp"
  attempt "kept only $want_fn's runs in main" || true
fi
for ((k = ${#lines[@]}; k >= 1; k--)); do
  l=${lines[$((k - 1))]}
  [[ $l =~ ^//\ ----\ (f[0-9]+)$ ]] || continue
  name=${BASH_REMATCH[1]}
  [ "$name" = "$want_fn" ] && continue
  for ((e = k + 1; e <= ${#lines[@]}; e++)); do [ "${lines[$((e - 1))]}" = "}" ] && break; done
  {
    printf '%s\n' "${lines[@]:0:$((k - 1))}"
    printf '%s\n' "${lines[@]:$e}"
  } | grep -v -E "^  fz::run_top\(\"$name\"" >"$work/try.cpp"
  attempt "deleted function $name" || true
done

progress=1
while [ "$progress" = 1 ]; do
  progress=0
  rescan
  i=1
  while [ "$i" -le "${#lines[@]}" ]; do
    if ! deletable "$i"; then i=$((i + 1)); continue; fi
    e=$(unit_end "$i")
    what=$(echo "${lines[$((i - 1))]}" | sed 's/^ *//' | cut -c1-70)
    # Delete the statement.
    {
      [ "$i" -gt 1 ] && printf '%s\n' "${lines[@]:0:$((i - 1))}"
      [ "$e" -lt "${#lines[@]}" ] && printf '%s\n' "${lines[@]:$e}"
    } >"$work/try.cpp"
    if attempt "deleted lines $i-$e: $what"; then progress=1; continue; fi
    # A compound statement of one body: replace it by its body, dedented.
    if [ "$e" -gt "$((i + 1))" ]; then
      single=1
      ind=${lines[$((i - 1))]%%[! ]*}
      for ((k = i + 1; k < e; k++)); do
        l=${lines[$((k - 1))]}
        lind=${l%%[! ]*}
        if [ "${#lind}" -le "${#ind}" ]; then single=0; break; fi
      done
      if [ "$single" = 1 ]; then
        {
          [ "$i" -gt 1 ] && printf '%s\n' "${lines[@]:0:$((i - 1))}"
          printf '%s\n' "${lines[@]:$i:$((e - i - 1))}" | sed 's/^  //'
          [ "$e" -lt "${#lines[@]}" ] && printf '%s\n' "${lines[@]:$e}"
        } >"$work/try.cpp"
        if attempt "unwrapped lines $i-$e: $what"; then progress=1; continue; fi
      fi
    fi
    i=$((i + 1))
  done
done

cp "$cur" "$work/reduced.cpp"
final=$(check "$cur")
echo
echo "reduced after $(wc -l <"$work/trials") checks: $final"
echo "reproducer: $work/reduced.cpp (check it with: $here/run.sh --check $work/reduced.cpp ${run_args[*]})"
echo "----"
# The whole program: the namespace-scope names and reset_globals stay (the
# functions may use them), main runs what is left.
cat "$cur"
