// SPDX-License-Identifier: MIT
#pragma once
#include <braid/braid.hpp>

/// The value of `t`, plus one.
braid::task<int> plus_one(braid::task<int> t);
