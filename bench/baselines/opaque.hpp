// SPDX-License-Identifier: MIT
// BENCH_OPAQUE marks the asynchronous APIs the callback baselines call: a
// real callback API lives behind a call the optimizer cannot see through
// (another library, another TU). Without it the compiler folds a
// synchronous callback loop into a closed form and "measures" nothing.
#pragma once

#if defined(__clang__)
#define BENCH_OPAQUE __attribute__((noinline))
#else
#define BENCH_OPAQUE __attribute__((noinline, noipa))
#endif
