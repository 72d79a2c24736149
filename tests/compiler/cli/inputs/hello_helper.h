// SPDX-License-Identifier: MIT
#pragma once
inline constexpr int hello_helper_offset = 1;
