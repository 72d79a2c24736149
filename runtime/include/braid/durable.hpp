// SPDX-License-Identifier: MIT
#pragma once

/// Durable runs ([design.6], docs/durable.md): BRAID_DURABLE functions
/// whose stack of frames is stored at each listen and resumed by any
/// process sharing the store. Link braid::durable (it needs SQLite).
#include <braid/durable/codec.hpp>
#include <braid/durable/dsl.hpp>
#include <braid/durable/error.hpp>
#include <braid/durable/frame.hpp>
#include <braid/durable/registries.hpp>
#include <braid/durable/run.hpp>
#include <braid/durable/runs.hpp>
#include <braid/durable/store.hpp>
