// SPDX-License-Identifier: MIT
#pragma once

/// Everything a braid user needs: tasks, flows, operators, primitives, the DSL.
#include <braid/ap.hpp>
#include <braid/cancelled.hpp>
#include <braid/cp.hpp>
#include <braid/dsl.hpp>
#include <braid/env.hpp>
#include <braid/flow.hpp>
#include <braid/run_blocking.hpp>
#include <braid/sp.hpp>
#include <braid/task.hpp>

// operators
#include <braid/op/dfv.hpp>
#include <braid/op/yield.hpp>
#include <braid/op/mbx.hpp>
#include <braid/op/rdv.hpp>
#include <braid/op/sem.hpp>
#include <braid/ref.hpp>
#include <braid/op/watch.hpp>
#include <braid/op/latest.hpp>
#include <braid/op/sample.hpp>
#include <braid/op/signal.hpp>
#include <braid/op/stream.hpp>
#include <braid/op/store.hpp>
#include <braid/op/seed.hpp>
#include <braid/op/none.hpp>
#include <braid/op/reduce.hpp>
#include <braid/op/reductions.hpp>
#include <braid/op/xf.hpp>
#include <braid/op/eduction.hpp>
#include <braid/op/zip.hpp>
#include <braid/op/buffer.hpp>
#include <braid/op/relieve.hpp>
#include <braid/op/group_by.hpp>
#include <braid/op/observe.hpp>
