// SPDX-License-Identifier: MIT
// The frame contract's edges (docs/durable.md "The frame contract"):
// registration before main of a function the program never calls, and what
// the engine does with frames that break the contract or hold a value that
// cannot be stored. The frames are hand-written in braidc's shape.
#include "durable_support.hpp"

#include <braid/durable.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

using namespace braid::durable;
using durable_test::error_of;
using durable_test::fresh_path;

namespace contract {

// BRAID_DURABLE braid::run<int> never_called(int x) { return x; }
// (this program never calls it: its table must still be registered)
BRAID_DURABLE braid::run<int> never_called(int x) {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<int> {
    using __braid_step = ::braid::detail::step;
    int x;
    __braid_frame(const ::braid::durable::detail::durable_table& t, int x) : durable_frame<int>(t), x(x) {}
    ~__braid_frame() override {}
    __braid_step __braid_part_0() { return this->::braid::durable::detail::durable_frame<int>::finish_with(x); }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static void __braid_unwind(::braid::durable::detail::durable_core*, ::std::int32_t) noexcept {}
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      w.param("x", static_cast<const __braid_frame*>(f)->x);
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      return new __braid_frame(t, r.param<int>("x"));
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "contract::never_called(int)#0", "contract_test.cpp", 22, 1, "", -1, 1, nullptr}};
      static const ::braid::durable::detail::durable_table table = {
          "contract::never_called(int)", parts, 1, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, int>, 2, &::braid::durable::codec<int>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, int>(x);
}

// A listen whose continuation's table entry lacks its listen_site, and a
// partition that returns a step no durable partition returns: a table
// written wrongly (by hand, or by a braidc with a bug).
BRAID_DURABLE braid::run<int> malformed(bool bad_step) {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<int> {
    using __braid_step = ::braid::detail::step;
    bool bad_step;
    ::braid::detail::slot<int> __braid_slot_0;
    __braid_frame(const ::braid::durable::detail::durable_table& t, bool b) : durable_frame<int>(t), bad_step(b) {}
    ~__braid_frame() override {}
    __braid_step __braid_part_0() {
      if (bad_step) return __braid_step{-1};  // sp's `suspended`
      return this->::braid::durable::detail::durable_core::listen("ctx", 1, this->__braid_slot_0);
    }
    __braid_step __braid_part_1() { return this->::braid::durable::detail::durable_frame<int>::finish_with(this->__braid_slot_0.take()); }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static __braid_step __braid_thunk_1(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_1(); }
    static void __braid_unwind(::braid::durable::detail::durable_core*, ::std::int32_t) noexcept {}
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      w.param("bad_step", static_cast<const __braid_frame*>(f)->bad_step);
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      return new __braid_frame(t, r.param<bool>("bad_step"));
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "contract::malformed(bool)#0", "contract_test.cpp", 1, 1, "", -1, 1, nullptr},
          {&__braid_thunk_1, "contract::malformed(bool)#1", "contract_test.cpp", 2, 1, "", -1, 2, nullptr}};
      static const ::braid::durable::detail::durable_table table = {
          "contract::malformed(bool)", parts, 2, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, bool>, 3, &::braid::durable::codec<int>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, int>(bad_step);
}

// A value whose codec throws while encoding (a user codec refusing a state).
struct flaky {
  int n = 0;
};

}  // namespace contract

template <>
struct braid::durable::codec<contract::flaky> {
  static void encode(writer&, const contract::flaky& f) {
    throw std::runtime_error("a flaky with n = " + std::to_string(f.n) + " cannot be stored");
  }
  static contract::flaky decode(reader&) { return {}; }
  static std::string name() { return "contract::flaky"; }
};

namespace contract {

// BRAID_DURABLE braid::run<int> holds_flaky() {
//   flaky f{3};
//   int v = braid::listen<int>("never");
//   return v + f.n;
// }
BRAID_DURABLE braid::run<int> holds_flaky() {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<int> {
    using __braid_step = ::braid::detail::step;
    union { ::contract::flaky f; };
    ::braid::detail::slot<int> __braid_slot_0;
    explicit __braid_frame(const ::braid::durable::detail::durable_table& t) : durable_frame<int>(t) {}
    ~__braid_frame() override {}
    __braid_step __braid_part_0() {
      ::new (::braid::detail::kept_storage(this->f)) ::contract::flaky{3};
      return this->::braid::durable::detail::durable_core::listen("never", 1, this->__braid_slot_0);
    }
    __braid_step __braid_part_1() {
      return this->::braid::durable::detail::durable_frame<int>::finish_with(this->__braid_slot_0.take() + f.n);
    }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* p) { return static_cast<__braid_frame*>(p)->__braid_part_0(); }
    static __braid_step __braid_thunk_1(::braid::durable::detail::durable_core* p) { return static_cast<__braid_frame*>(p)->__braid_part_1(); }
    static void __braid_unwind(::braid::durable::detail::durable_core*, ::std::int32_t) noexcept {}
    static void __braid_encode(const ::braid::durable::detail::durable_core* p, ::braid::durable::detail::frame_writer& w) {
      auto* self = static_cast<const __braid_frame*>(p);
      switch (self->state()) {
        case 1: w.local("f", self->f); break;
      }
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      auto* self = new __braid_frame(t);
      ::braid::durable::detail::decode_guard g(self);
      switch (r.state()) {
        case 1: r.local("f", self->f); break;
      }
      g.release();
      return self;
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "contract::holds_flaky()#0", "contract_test.cpp", 99, 1, "", -1, 1, nullptr},
          {&__braid_thunk_1, "contract::holds_flaky()#1", "contract_test.cpp", 101, 11, "f", -1, 2,
           &::braid::durable::detail::listen_site<__braid_frame, int, &__braid_frame::__braid_slot_0>}};
      static const ::braid::durable::detail::durable_table table = {
          "contract::holds_flaky()", parts, 2, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame>, 4, &::braid::durable::codec<int>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, int>();
}

}  // namespace contract

TEST_SUITE("durable frame contract") {
  TEST_CASE("a function's table is registered before main, also when the program never calls it") {
    const detail::durable_table* t = detail::find_table("contract::never_called(int)");
    REQUIRE(t != nullptr);
    CHECK(t->nparts == 1);
    CHECK(std::string(t->parts[0].name) == "contract::never_called(int)#0");
    CHECK(detail::find_table("contract::no_such_function()") == nullptr);
  }

  TEST_CASE("a listen continuing at a partition without a listen_site is refused, and nothing is stored") {
    sqlite_store s(fresh_path("malformed.db"));
    CHECK(error_of(error_kind::misuse, [&] { start_run(s, contract::malformed(false)); }) ==
          "braid: the frame of 'contract::malformed(bool)' suspends at a listen continuing at "
          "'contract::malformed(bool)#1', but that partition's table entry has no matching resume site (a malformed "
          "frame table); nothing was stored");
    CHECK(error_of(error_kind::misuse, [&] { start_run(s, contract::malformed(true)); }) ==
          "braid: partition 'contract::malformed(bool)#0' returned step -1, which a durable partition cannot return; "
          "nothing was stored");
    CHECK(find_runs(s, {}).empty());
  }

  TEST_CASE("a kept value whose codec refuses to encode fails the step; nothing is stored") {
    sqlite_store s(fresh_path("flaky.db"));
    CHECK(error_of(error_kind::codec, [&] { start_run(s, contract::holds_flaky()); }) ==
          "braid: cannot store run 1 at 'contract::holds_flaky()#1' (contract_test.cpp:101): a flaky with n = 3 "
          "cannot be stored; nothing was stored");
    CHECK(find_runs(s, {}).empty());
  }
}
