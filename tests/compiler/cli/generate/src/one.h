// SPDX-License-Identifier: MIT
#pragma once
inline constexpr int one_offset = 1;
