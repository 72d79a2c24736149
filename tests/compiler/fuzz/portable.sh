#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/compiler/fuzz/portable.sh: a seed names the same program whichever
# compiler built fuzz_gen. CI's jobs build it with g++ and with clang, which
# evaluate the operands of `a + b` in opposite orders: an expression of the
# generator that draws from its random stream twice gives two programs for
# one seed (fuzz_gen.cpp's cat() is the cure), and a failure seen in one job
# cannot be reproduced from the other's seed.
# usage: portable.sh FUZZ_GEN OTHER_CXX SOURCE WORKDIR [SEEDS]
set -uo pipefail
gen=$1 other=$2 src=$3 work=$4 seeds=${5:-30}
mkdir -p "$work"
if ! "$other" -std=c++20 -O1 "$src" -o "$work/fuzz_gen_other" 2>"$work/other.log"; then
  cat "$work/other.log"
  echo "portable: $other could not build $src"
  exit 1
fi
bad=0
for s in $(seq 1 "$seeds"); do
  "$gen" --seed "$s" --functions 40 >"$work/a.cpp"
  "$work/fuzz_gen_other" --seed "$s" --functions 40 >"$work/b.cpp"
  if ! cmp -s "$work/a.cpp" "$work/b.cpp"; then
    echo "seed $s: fuzz_gen built by $other writes another program; first difference:"
    diff "$work/a.cpp" "$work/b.cpp" | head -6
    bad=1
  fi
done
[ $bad -eq 0 ] && echo "portable: seeds 1..$seeds give the same programs with $other"
exit $bad
