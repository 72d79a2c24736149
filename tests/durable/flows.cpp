// SPDX-License-Identifier: MIT
// Hand-written durable frames in exactly the shape braidc is to generate
// (docs/durable.md "The frame contract"): a local frame class per function,
// partitions as member functions, a static __braid_table() holding the
// table, encode/decode of the parameters and of the kept locals live at
// each partition a frame can be stored at, and `return make_run<...>(...)`.
// Each frame's comment shows the annotated source it stands for. The
// hashes are what braidc would compute; here they are fixed numbers, and
// BRAID_FLOWS_V2 changes survey's stored partition (code and hash).
#include "flows.hpp"

#include <braid/op/via.hpp>

#include <deque>
#include <stdexcept>

namespace flows {

// BRAID_DURABLE braid::run<int> survey(std::string user) {
//   int asked = 0;
//   std::string answer;
//   braid::durable::set_index("user", user);
//   while (answer.empty()) {
//     ++asked;
//     braid::durable::output("ask " + user);
//     answer = braid::listen<std::string>("answer:" + user);
//   }
//   braid::durable::output(user + " said " + answer);
//   return asked;
// }
BRAID_DURABLE braid::run<int> survey(std::string user) {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<int> {
    using __braid_step = ::braid::detail::step;
    ::std::string user;
    union { int asked; };
    union { ::std::string answer; };
    bool __braid_alive_answer = false;
    ::braid::detail::slot<::std::string> __braid_slot_0;
    __braid_frame(const ::braid::durable::detail::durable_table& __braid_table, ::std::string user)
        : ::braid::durable::detail::durable_frame<int>(__braid_table), user(static_cast<::std::string&&>(user)) {}
    ~__braid_frame() override {}

    __braid_step __braid_part_0() {
      ::new (::braid::detail::kept_storage(this->asked)) int(0);
      ::new (::braid::detail::kept_storage(this->answer)) ::std::string(); this->__braid_alive_answer = true;
      ::braid::durable::set_index("user", user);
      return __braid_step{1};
    }
    __braid_step __braid_part_1() {
      if (answer.empty()) {} else { return __braid_step{3}; }
      ++asked;
      ::braid::durable::output("ask " + user);
      return this->::braid::durable::detail::durable_core::listen("answer:" + user, 2, this->__braid_slot_0);
    }
    __braid_step __braid_part_2() {
#if defined(BRAID_FLOWS_V2)
      answer = "v2 " + this->__braid_slot_0.take();
#else
      answer = this->__braid_slot_0.take();
#endif
      return __braid_step{1};
    }
    __braid_step __braid_part_3() {
      ::braid::durable::output(user + " said " + answer);
      return this->::braid::durable::detail::durable_frame<int>::finish_with(asked);
    }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static __braid_step __braid_thunk_1(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_1(); }
    static __braid_step __braid_thunk_2(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_2(); }
    static __braid_step __braid_thunk_3(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_3(); }
    static void __braid_unwind(::braid::durable::detail::durable_core* f, ::std::int32_t r) noexcept {
      auto* self = static_cast<__braid_frame*>(f);
      if (r < 0) ::braid::detail::kept_destroy(self->answer, self->__braid_alive_answer);
    }
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      auto* self = static_cast<const __braid_frame*>(f);
      w.param("user", self->user);
      switch (self->state()) {
        case 2:
          w.local("asked", self->asked);
          w.local("answer", self->answer, self->__braid_alive_answer);
          break;
      }
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      auto* self = new __braid_frame(t, r.param<::std::string>("user"));
      ::braid::durable::detail::decode_guard g(self);
      switch (r.state()) {
        case 2:
          r.local("asked", self->asked);
          r.local("answer", self->answer, self->__braid_alive_answer);
          break;
      }
      g.release();
      return self;
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "survey(std::string)#0", "flows.cpp", 33, 55, "", -1, 0x5e7f00a1c0de0000ull, nullptr},
          {&__braid_thunk_1, "survey(std::string)#1", "flows.cpp", 37, 3, "asked, answer", -1, 0x5e7f00a1c0de0001ull, nullptr},
#if defined(BRAID_FLOWS_V2)
          {&__braid_thunk_2, "survey(std::string)#2", "flows.cpp", 26, 17, "asked, answer", -1, 0x5e7f00a1c0de2222ull,
           &::braid::durable::detail::listen_site<__braid_frame, ::std::string, &__braid_frame::__braid_slot_0>},
#else
          {&__braid_thunk_2, "survey(std::string)#2", "flows.cpp", 26, 17, "asked, answer", -1, 0x5e7f00a1c0de0002ull,
           &::braid::durable::detail::listen_site<__braid_frame, ::std::string, &__braid_frame::__braid_slot_0>},
#endif
          {&__braid_thunk_3, "survey(std::string)#3", "flows.cpp", 42, 3, "asked, answer", -1, 0x5e7f00a1c0de0003ull, nullptr},
      };
      static const ::braid::durable::detail::durable_table table = {
          "survey(std::string)", parts, 4, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, ::std::string>, 0x5e7f00a15167ull,
          &::braid::durable::codec<int>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, int>(user);
}

// BRAID_DURABLE braid::run<std::string> ask(std::string who, std::string question) {
//   braid::durable::output(who + ": " + question);
//   std::string a = braid::listen<std::string>("answer:" + who);
//   if (a == "!") throw std::invalid_argument("no answer from " + who);
//   return a;
// }
BRAID_DURABLE braid::run<std::string> ask(std::string who, std::string question) {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<::std::string> {
    using __braid_step = ::braid::detail::step;
    ::std::string who;
    ::std::string question;
    ::braid::detail::slot<::std::string> __braid_slot_0;
    __braid_frame(const ::braid::durable::detail::durable_table& __braid_table, ::std::string who, ::std::string question)
        : ::braid::durable::detail::durable_frame<::std::string>(__braid_table), who(static_cast<::std::string&&>(who)),
          question(static_cast<::std::string&&>(question)) {}
    ~__braid_frame() override {}

    __braid_step __braid_part_0() {
      ::braid::durable::output(who + ": " + question);
      return this->::braid::durable::detail::durable_core::listen("answer:" + who, 1, this->__braid_slot_0);
    }
    __braid_step __braid_part_1() {
      std::string a = this->__braid_slot_0.take();
      if (a == "!") throw std::invalid_argument("no answer from " + who);
      return this->::braid::durable::detail::durable_frame<::std::string>::finish_with(a);
    }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static __braid_step __braid_thunk_1(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_1(); }
    static void __braid_unwind(::braid::durable::detail::durable_core*, ::std::int32_t) noexcept {}
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      auto* self = static_cast<const __braid_frame*>(f);
      w.param("who", self->who);
      w.param("question", self->question);
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      return new __braid_frame(t, r.param<::std::string>("who"), r.param<::std::string>("question"));
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "ask(std::string, std::string)#0", "flows.cpp", 115, 3, "", -1, 0xa5c0000000000000ull, nullptr},
          {&__braid_thunk_1, "ask(std::string, std::string)#1", "flows.cpp", 122, 22, "", -1, 0xa5c0000000000001ull,
           &::braid::durable::detail::listen_site<__braid_frame, ::std::string, &__braid_frame::__braid_slot_0>},
      };
      static const ::braid::durable::detail::durable_table table = {
          "ask(std::string, std::string)", parts, 2, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, ::std::string, ::std::string>, 0xa5c05167ull,
          &::braid::durable::codec<::std::string>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, ::std::string>(who, question);
}

namespace {
// An ordinary task completing on another thread (the blk pool).
braid::task<std::string> question_for(int i) {
  return braid::via(braid::blk(), [i] { return "question " + std::to_string(i + 1); });
}
}  // namespace

// BRAID_DURABLE braid::run<std::vector<std::string>> interview(std::string who, int n) {
//   std::vector<std::string> answers;
//   for (int i = 0; i < n; ++i) {
//     std::string q = braid::park(question_for(i));     // an ordinary task, in memory
//     answers.push_back(braid::park(ask(who, q)));      // a durable call: ask's frame stacks on this one
//   }
//   return answers;
// }
BRAID_DURABLE braid::run<std::vector<std::string>> interview(std::string who, int n) {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<::std::vector<::std::string>> {
    using __braid_step = ::braid::detail::step;
    ::std::string who;
    int n;
    union { ::std::vector<::std::string> answers; };
    bool __braid_alive_answers = false;
    union { int i; };
    union { ::std::string q; };
    bool __braid_alive_q = false;
    ::braid::detail::slot<::std::string> __braid_slot_0;
    ::braid::detail::slot<::std::string> __braid_slot_1;
    __braid_frame(const ::braid::durable::detail::durable_table& __braid_table, ::std::string who, int n)
        : ::braid::durable::detail::durable_frame<::std::vector<::std::string>>(__braid_table),
          who(static_cast<::std::string&&>(who)), n(static_cast<int&&>(n)) {}
    ~__braid_frame() override {}

    __braid_step __braid_part_0() {
      ::new (::braid::detail::kept_storage(this->answers)) ::std::vector<::std::string>(); this->__braid_alive_answers = true;
      ::new (::braid::detail::kept_storage(this->i)) int(0);
      return __braid_step{1};
    }
    __braid_step __braid_part_1() {
      if (i < n) {} else { return __braid_step{4}; }
      return this->::braid::durable::detail::durable_core::park(question_for(i), 2, this->__braid_slot_0);
    }
    __braid_step __braid_part_2() {
      ::new (::braid::detail::kept_storage(this->q)) ::std::string(this->__braid_slot_0.take()); this->__braid_alive_q = true;
      return this->::braid::durable::detail::durable_core::park(ask(who, q), 3, this->__braid_slot_1);
    }
    __braid_step __braid_part_3() {
      answers.push_back(this->__braid_slot_1.take());
      ::braid::detail::kept_destroy(this->q, this->__braid_alive_q);
      ++i;
      return __braid_step{1};
    }
    __braid_step __braid_part_4() {
      return this->::braid::durable::detail::durable_frame<::std::vector<::std::string>>::finish_with(answers);
    }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static __braid_step __braid_thunk_1(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_1(); }
    static __braid_step __braid_thunk_2(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_2(); }
    static __braid_step __braid_thunk_3(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_3(); }
    static __braid_step __braid_thunk_4(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_4(); }
    static void __braid_unwind(::braid::durable::detail::durable_core* f, ::std::int32_t r) noexcept {
      auto* self = static_cast<__braid_frame*>(f);
      if (r < 0) {
        ::braid::detail::kept_destroy(self->q, self->__braid_alive_q);
        ::braid::detail::kept_destroy(self->answers, self->__braid_alive_answers);
      }
    }
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      auto* self = static_cast<const __braid_frame*>(f);
      w.param("who", self->who);
      w.param("n", self->n);
      switch (self->state()) {
        case 3:
          w.local("answers", self->answers, self->__braid_alive_answers);
          w.local("i", self->i);
          w.local("q", self->q, self->__braid_alive_q);
          break;
      }
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      auto* self = new __braid_frame(t, r.param<::std::string>("who"), r.param<int>("n"));
      ::braid::durable::detail::decode_guard g(self);
      switch (r.state()) {
        case 3:
          r.local("answers", self->answers, self->__braid_alive_answers);
          r.local("i", self->i);
          r.local("q", self->q, self->__braid_alive_q);
          break;
      }
      g.release();
      return self;
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "interview(std::string, int)#0", "flows.cpp", 156, 84, "", -1, 0x1e7e000000000000ull, nullptr},
          {&__braid_thunk_1, "interview(std::string, int)#1", "flows.cpp", 158, 3, "answers, i", -1, 0x1e7e000000000001ull, nullptr},
          {&__braid_thunk_2, "interview(std::string, int)#2", "flows.cpp", 159, 20, "answers, i", -1, 0x1e7e000000000002ull, nullptr},
          {&__braid_thunk_3, "interview(std::string, int)#3", "flows.cpp", 184, 26, "answers, i, q", -1, 0x1e7e000000000003ull,
           &::braid::durable::detail::call_site<__braid_frame, ::std::string, &__braid_frame::__braid_slot_1>},
          {&__braid_thunk_4, "interview(std::string, int)#4", "flows.cpp", 162, 3, "answers", -1, 0x1e7e000000000004ull, nullptr},
      };
      static const ::braid::durable::detail::durable_table table = {
          "interview(std::string, int)", parts, 5, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, ::std::string, int>, 0x1e7e5167ull,
          &::braid::durable::codec<::std::vector<::std::string>>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, ::std::vector<::std::string>>(who, n);
}

// BRAID_DURABLE braid::run<int> approve(std::string item) {
//   bool ok = braid::listen<bool>("approve:" + item);
//   if (!ok) throw std::runtime_error("rejected " + item);
//   return static_cast<int>(item.size());
// }
BRAID_DURABLE braid::run<int> approve(std::string item) {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<int> {
    using __braid_step = ::braid::detail::step;
    ::std::string item;
    ::braid::detail::slot<bool> __braid_slot_0;
    __braid_frame(const ::braid::durable::detail::durable_table& __braid_table, ::std::string item)
        : ::braid::durable::detail::durable_frame<int>(__braid_table), item(static_cast<::std::string&&>(item)) {}
    ~__braid_frame() override {}

    __braid_step __braid_part_0() {
      return this->::braid::durable::detail::durable_core::listen("approve:" + item, 1, this->__braid_slot_0);
    }
    __braid_step __braid_part_1() {
      bool ok = this->__braid_slot_0.take();
      if (!ok) throw std::runtime_error("rejected " + item);
      return this->::braid::durable::detail::durable_frame<int>::finish_with(static_cast<int>(item.size()));
    }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static __braid_step __braid_thunk_1(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_1(); }
    static void __braid_unwind(::braid::durable::detail::durable_core*, ::std::int32_t) noexcept {}
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      w.param("item", static_cast<const __braid_frame*>(f)->item);
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      return new __braid_frame(t, r.param<::std::string>("item"));
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "approve(std::string)#0", "flows.cpp", 247, 57, "", -1, 0xa99e000000000000ull, nullptr},
          {&__braid_thunk_1, "approve(std::string)#1", "flows.cpp", 248, 13, "", -1, 0xa99e000000000001ull,
           &::braid::durable::detail::listen_site<__braid_frame, bool, &__braid_frame::__braid_slot_0>},
      };
      static const ::braid::durable::detail::durable_table table = {
          "approve(std::string)", parts, 2, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, ::std::string>, 0xa99e5167ull,
          &::braid::durable::codec<int>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, int>(item);
}

// BRAID_DURABLE braid::run<int> order(std::vector<std::string> items) {
//   std::vector<braid::durable::child<int>> kids;
//   for (const std::string& it : items) kids.push_back(braid::durable::start_child(approve(it)));
//   int total = 0;
//   std::string failures;
//   for (std::size_t i = 0; i < kids.size(); ++i) {
//     try {
//       total += braid::durable::wait_for(kids[i]);
//     } catch (const braid::durable::child_failed& e) {
//       failures += std::string(e.what()) + ";";
//     }
//   }
//   braid::durable::output(failures);
//   return total;
// }
BRAID_DURABLE braid::run<int> order(std::vector<std::string> items) {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<int> {
    using __braid_step = ::braid::detail::step;
    ::std::vector<::std::string> items;
    union { ::std::vector<::braid::durable::child<int>> kids; };
    bool __braid_alive_kids = false;
    union { int total; };
    union { ::std::string failures; };
    bool __braid_alive_failures = false;
    union { ::std::size_t i; };
    ::braid::detail::slot<int> __braid_slot_0;
    __braid_frame(const ::braid::durable::detail::durable_table& __braid_table, ::std::vector<::std::string> items)
        : ::braid::durable::detail::durable_frame<int>(__braid_table), items(static_cast<::std::vector<::std::string>&&>(items)) {}
    ~__braid_frame() override {}

    __braid_step __braid_part_0() {
      ::new (::braid::detail::kept_storage(this->kids)) ::std::vector<::braid::durable::child<int>>(); this->__braid_alive_kids = true;
      for (const std::string& it : items) kids.push_back(braid::durable::start_child(approve(it)));
      ::new (::braid::detail::kept_storage(this->total)) int(0);
      ::new (::braid::detail::kept_storage(this->failures)) ::std::string(); this->__braid_alive_failures = true;
      ::new (::braid::detail::kept_storage(this->i)) ::std::size_t(0);
      return __braid_step{1};
    }
    __braid_step __braid_part_1() {
      if (i < kids.size()) {} else { return __braid_step{5}; }
      return __braid_step{2};
    }
    __braid_step __braid_part_2() {  // region 0: the try body
      return this->::braid::durable::detail::durable_core::wait_for(kids[i], 3, this->__braid_slot_0);
    }
    __braid_step __braid_part_3() {  // region 0
      total += this->__braid_slot_0.take();
      return __braid_step{6};
    }
    __braid_step __braid_part_4() {  // the handler dispatch of region 0
      ::std::exception_ptr __braid_exc_0 = ::std::move(this->::braid::durable::detail::durable_core::raised_);
      try { ::std::rethrow_exception(__braid_exc_0); }
      catch (const braid::durable::child_failed& e) {
        failures += std::string(e.what()) + ";";
      }
      return __braid_step{6};
    }
    __braid_step __braid_part_5() {
      ::braid::durable::output(failures);
      return this->::braid::durable::detail::durable_frame<int>::finish_with(total);
    }
    __braid_step __braid_part_6() {
      ++i;
      return __braid_step{1};
    }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static __braid_step __braid_thunk_1(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_1(); }
    static __braid_step __braid_thunk_2(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_2(); }
    static __braid_step __braid_thunk_3(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_3(); }
    static __braid_step __braid_thunk_4(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_4(); }
    static __braid_step __braid_thunk_5(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_5(); }
    static __braid_step __braid_thunk_6(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_6(); }
    static void __braid_unwind(::braid::durable::detail::durable_core* f, ::std::int32_t r) noexcept {
      auto* self = static_cast<__braid_frame*>(f);
      if (r < 0) {
        ::braid::detail::kept_destroy(self->failures, self->__braid_alive_failures);
        ::braid::detail::kept_destroy(self->kids, self->__braid_alive_kids);
      }
    }
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      auto* self = static_cast<const __braid_frame*>(f);
      w.param("items", self->items);
      switch (self->state()) {
        case 3:
          w.local("kids", self->kids, self->__braid_alive_kids);
          w.local("total", self->total);
          w.local("failures", self->failures, self->__braid_alive_failures);
          w.local("i", self->i);
          break;
      }
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      auto* self = new __braid_frame(t, r.param<::std::vector<::std::string>>("items"));
      ::braid::durable::detail::decode_guard g(self);
      switch (r.state()) {
        case 3:
          r.local("kids", self->kids, self->__braid_alive_kids);
          r.local("total", self->total);
          r.local("failures", self->failures, self->__braid_alive_failures);
          r.local("i", self->i);
          break;
      }
      g.release();
      return self;
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "order(std::vector<std::string>)#0", "flows.cpp", 291, 69, "", -1, 0x0d0e000000000000ull, nullptr},
          {&__braid_thunk_1, "order(std::vector<std::string>)#1", "flows.cpp", 296, 3, "kids, total, failures, i", -1, 0x0d0e000000000001ull, nullptr},
          {&__braid_thunk_2, "order(std::vector<std::string>)#2", "flows.cpp", 298, 7, "kids, total, failures, i", 0, 0x0d0e000000000002ull, nullptr},
          {&__braid_thunk_3, "order(std::vector<std::string>)#3", "flows.cpp", 337, 19, "kids, total, failures, i", 0, 0x0d0e000000000003ull,
           &::braid::durable::detail::wait_site<__braid_frame, int, &__braid_frame::__braid_slot_0>},
          {&__braid_thunk_4, "order(std::vector<std::string>)#4", "flows.cpp", 299, 7, "kids, total, failures, i", -1, 0x0d0e000000000004ull, nullptr},
          {&__braid_thunk_5, "order(std::vector<std::string>)#5", "flows.cpp", 303, 3, "total, failures", -1, 0x0d0e000000000005ull, nullptr},
          {&__braid_thunk_6, "order(std::vector<std::string>)#6", "flows.cpp", 296, 43, "kids, total, failures, i", -1, 0x0d0e000000000006ull, nullptr},
      };
      static const ::braid::detail::region_info regions[] = {{4, -1}};
      static const ::braid::durable::detail::durable_table table = {
          "order(std::vector<std::string>)", parts, 7, regions, 1, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, ::std::vector<::std::string>>, 0x0d0e5167ull,
          &::braid::durable::codec<int>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, int>(items);
}

// BRAID_DURABLE braid::run<std::string> guarded(std::string name, bool recover) {
//   try {
//     std::string v = braid::listen<std::string>("go:" + name);
//     return v;
//   } catch (const braid::cancelled&) {
//     braid::durable::output("cleanup " + name);
//     if (!recover) throw;
//     return std::string("recovered");
//   }
// }
BRAID_DURABLE braid::run<std::string> guarded(std::string name, bool recover) {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<::std::string> {
    using __braid_step = ::braid::detail::step;
    ::std::string name;
    bool recover;
    ::braid::detail::slot<::std::string> __braid_slot_0;
    __braid_frame(const ::braid::durable::detail::durable_table& __braid_table, ::std::string name, bool recover)
        : ::braid::durable::detail::durable_frame<::std::string>(__braid_table), name(static_cast<::std::string&&>(name)),
          recover(static_cast<bool&&>(recover)) {}
    ~__braid_frame() override {}

    __braid_step __braid_part_0() {  // region 0
      return this->::braid::durable::detail::durable_core::listen("go:" + name, 1, this->__braid_slot_0);
    }
    __braid_step __braid_part_1() {  // region 0
      std::string v = this->__braid_slot_0.take();
      return this->::braid::durable::detail::durable_frame<::std::string>::finish_with(v);
    }
    __braid_step __braid_part_2() {  // the handler dispatch of region 0
      ::std::exception_ptr __braid_exc_0 = ::std::move(this->::braid::durable::detail::durable_core::raised_);
      try { ::std::rethrow_exception(__braid_exc_0); }
      catch (const braid::cancelled&) {
        braid::durable::output("cleanup " + name);
        if (!recover) throw;
        return this->::braid::durable::detail::durable_frame<::std::string>::finish_with(std::string("recovered"));
      }
      __builtin_unreachable();  // the clause returns or rethrows; another exception escapes the try
    }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static __braid_step __braid_thunk_1(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_1(); }
    static __braid_step __braid_thunk_2(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_2(); }
    static void __braid_unwind(::braid::durable::detail::durable_core*, ::std::int32_t) noexcept {}
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      auto* self = static_cast<const __braid_frame*>(f);
      w.param("name", self->name);
      w.param("recover", self->recover);
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      return new __braid_frame(t, r.param<::std::string>("name"), r.param<bool>("recover"));
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "guarded(std::string, bool)#0", "flows.cpp", 400, 5, "", 0, 0x6a7d000000000000ull, nullptr},
          {&__braid_thunk_1, "guarded(std::string, bool)#1", "flows.cpp", 400, 19, "", 0, 0x6a7d000000000001ull,
           &::braid::durable::detail::listen_site<__braid_frame, ::std::string, &__braid_frame::__braid_slot_0>},
          {&__braid_thunk_2, "guarded(std::string, bool)#2", "flows.cpp", 402, 5, "", -1, 0x6a7d000000000002ull, nullptr},
      };
      static const ::braid::detail::region_info regions[] = {{2, -1}};
      static const ::braid::durable::detail::durable_table table = {
          "guarded(std::string, bool)", parts, 3, regions, 1, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, ::std::string, bool>, 0x6a7d5167ull,
          &::braid::durable::codec<::std::string>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, ::std::string>(name, recover);
}

void braid_codec(braid::durable::fields& f, item& v) { f.field("sku", v.sku).field("qty", v.qty); }

// BRAID_DURABLE braid::run<std::string> cart(std::string owner) {
//   std::map<std::string, item> lines;
//   std::optional<color> paint;
//   std::set<int> seen;
//   std::deque<std::string> log;
//   for (;;) {
//     command c = braid::listen<command>("cart:" + owner);
//     if (auto* it = std::get_if<item>(&c)) {
//       lines[it->sku].sku = it->sku;
//       lines[it->sku].qty += it->qty;
//       seen.insert(it->qty);
//     } else if (auto* s = std::get_if<std::string>(&c)) {
//       if (*s == "done") break;
//       log.push_back(*s);
//     } else {
//       paint = std::get<color>(c);
//     }
//   }
//   std::string out = owner + ":";
//   for (auto& [sku, it] : lines) out += " " + sku + "x" + std::to_string(it.qty);
//   out += paint ? (*paint == color::red ? " red" : " green") : " unpainted";
//   out += " log=" + std::to_string(log.size()) + " seen=" + std::to_string(seen.size());
//   return out;
// }
BRAID_DURABLE braid::run<std::string> cart(std::string owner) {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<::std::string> {
    using __braid_step = ::braid::detail::step;
    ::std::string owner;
    union { ::std::map<::std::string, ::flows::item> lines; };
    bool __braid_alive_lines = false;
    union { ::std::optional<::flows::color> paint; };
    union { ::std::set<int> seen; };
    bool __braid_alive_seen = false;
    union { ::std::deque<::std::string> log; };
    bool __braid_alive_log = false;
    ::braid::detail::slot<::flows::command> __braid_slot_0;
    __braid_frame(const ::braid::durable::detail::durable_table& __braid_table, ::std::string owner)
        : ::braid::durable::detail::durable_frame<::std::string>(__braid_table), owner(static_cast<::std::string&&>(owner)) {}
    ~__braid_frame() override {}

    __braid_step __braid_part_0() {
      ::new (::braid::detail::kept_storage(this->lines)) ::std::map<::std::string, ::flows::item>(); this->__braid_alive_lines = true;
      ::new (::braid::detail::kept_storage(this->paint)) ::std::optional<::flows::color>();
      ::new (::braid::detail::kept_storage(this->seen)) ::std::set<int>(); this->__braid_alive_seen = true;
      ::new (::braid::detail::kept_storage(this->log)) ::std::deque<::std::string>(); this->__braid_alive_log = true;
      return __braid_step{1};
    }
    __braid_step __braid_part_1() {
      return this->::braid::durable::detail::durable_core::listen("cart:" + owner, 2, this->__braid_slot_0);
    }
    __braid_step __braid_part_2() {
      command c = this->__braid_slot_0.take();
      if (auto* it = std::get_if<item>(&c)) {
        lines[it->sku].sku = it->sku;
        lines[it->sku].qty += it->qty;
        seen.insert(it->qty);
      } else if (auto* s = std::get_if<std::string>(&c)) {
        if (*s == "done") return __braid_step{3};
        log.push_back(*s);
      } else {
        paint = std::get<color>(c);
      }
      return __braid_step{1};
    }
    __braid_step __braid_part_3() {
      std::string out = owner + ":";
      for (auto& [sku, it] : lines) out += " " + sku + "x" + std::to_string(it.qty);
      out += paint ? (*paint == color::red ? " red" : " green") : " unpainted";
      out += " log=" + std::to_string(log.size()) + " seen=" + std::to_string(seen.size());
      return this->::braid::durable::detail::durable_frame<::std::string>::finish_with(out);
    }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static __braid_step __braid_thunk_1(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_1(); }
    static __braid_step __braid_thunk_2(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_2(); }
    static __braid_step __braid_thunk_3(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_3(); }
    static void __braid_unwind(::braid::durable::detail::durable_core* f, ::std::int32_t r) noexcept {
      auto* self = static_cast<__braid_frame*>(f);
      if (r < 0) {
        ::braid::detail::kept_destroy(self->log, self->__braid_alive_log);
        ::braid::detail::kept_destroy(self->seen, self->__braid_alive_seen);
        ::braid::detail::kept_destroy(self->lines, self->__braid_alive_lines);
      }
    }
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      auto* self = static_cast<const __braid_frame*>(f);
      w.param("owner", self->owner);
      switch (self->state()) {
        case 2:
          w.local("lines", self->lines, self->__braid_alive_lines);
          w.local("paint", self->paint);
          w.local("seen", self->seen, self->__braid_alive_seen);
          w.local("log", self->log, self->__braid_alive_log);
          break;
      }
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      auto* self = new __braid_frame(t, r.param<::std::string>("owner"));
      ::braid::durable::detail::decode_guard g(self);
      switch (r.state()) {
        case 2:
          r.local("lines", self->lines, self->__braid_alive_lines);
          r.local("paint", self->paint);
          r.local("seen", self->seen, self->__braid_alive_seen);
          r.local("log", self->log, self->__braid_alive_log);
          break;
      }
      g.release();
      return self;
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "cart(std::string)#0", "flows.cpp", 457, 58, "", -1, 0xca47000000000000ull, nullptr},
          {&__braid_thunk_1, "cart(std::string)#1", "flows.cpp", 462, 3, "lines, paint, seen, log", -1, 0xca47000000000001ull, nullptr},
          {&__braid_thunk_2, "cart(std::string)#2", "flows.cpp", 463, 17, "lines, paint, seen, log", -1, 0xca47000000000002ull,
           &::braid::durable::detail::listen_site<__braid_frame, ::flows::command, &__braid_frame::__braid_slot_0>},
          {&__braid_thunk_3, "cart(std::string)#3", "flows.cpp", 475, 3, "lines, paint, seen, log", -1, 0xca47000000000003ull, nullptr},
      };
      static const ::braid::durable::detail::durable_table table = {
          "cart(std::string)", parts, 4, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, ::std::string>, 0xca475167ull,
          &::braid::durable::codec<::std::string>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, ::std::string>(owner);
}

// BRAID_DURABLE braid::run<long> tally(int id, int steps) {
//   long sum = 0;
//   for (int i = 0; i < steps; ++i) {
//     long v = braid::listen<long>("add");
//     sum += v * (i + 1);
//     braid::durable::output(sum);
//     braid::durable::set_index("sum", std::to_string(sum));
//   }
//   return sum;
// }
BRAID_DURABLE braid::run<long> tally(int id, int steps) {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<long> {
    using __braid_step = ::braid::detail::step;
    int id;
    int steps;
    union { long sum; };
    union { int i; };
    ::braid::detail::slot<long> __braid_slot_0;
    __braid_frame(const ::braid::durable::detail::durable_table& __braid_table, int id, int steps)
        : ::braid::durable::detail::durable_frame<long>(__braid_table), id(static_cast<int&&>(id)), steps(static_cast<int&&>(steps)) {}
    ~__braid_frame() override {}

    __braid_step __braid_part_0() {
      ::new (::braid::detail::kept_storage(this->sum)) long(0);
      ::new (::braid::detail::kept_storage(this->i)) int(0);
      return __braid_step{1};
    }
    __braid_step __braid_part_1() {
      if (i < steps) {} else { return __braid_step{3}; }
      return this->::braid::durable::detail::durable_core::listen("add", 2, this->__braid_slot_0);
    }
    __braid_step __braid_part_2() {
      long v = this->__braid_slot_0.take();
      sum += v * (i + 1);
      braid::durable::output(sum);
      braid::durable::set_index("sum", std::to_string(sum));
      ++i;
      return __braid_step{1};
    }
    __braid_step __braid_part_3() {
      return this->::braid::durable::detail::durable_frame<long>::finish_with(sum);
    }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static __braid_step __braid_thunk_1(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_1(); }
    static __braid_step __braid_thunk_2(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_2(); }
    static __braid_step __braid_thunk_3(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_3(); }
    static void __braid_unwind(::braid::durable::detail::durable_core*, ::std::int32_t) noexcept {}
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      auto* self = static_cast<const __braid_frame*>(f);
      w.param("id", self->id);
      w.param("steps", self->steps);
      switch (self->state()) {
        case 2:
          w.local("sum", self->sum);
          w.local("i", self->i);
          break;
      }
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      auto* self = new __braid_frame(t, r.param<int>("id"), r.param<int>("steps"));
      ::braid::durable::detail::decode_guard g(self);
      switch (r.state()) {
        case 2:
          r.local("sum", self->sum);
          r.local("i", self->i);
          break;
      }
      g.release();
      return self;
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "tally(int, int)#0", "flows.cpp", 568, 50, "", -1, 0x7a11000000000000ull, nullptr},
          {&__braid_thunk_1, "tally(int, int)#1", "flows.cpp", 570, 3, "sum, i", -1, 0x7a11000000000001ull, nullptr},
          {&__braid_thunk_2, "tally(int, int)#2", "flows.cpp", 571, 14, "sum, i", -1, 0x7a11000000000002ull,
           &::braid::durable::detail::listen_site<__braid_frame, long, &__braid_frame::__braid_slot_0>},
          {&__braid_thunk_3, "tally(int, int)#3", "flows.cpp", 576, 3, "sum", -1, 0x7a11000000000003ull, nullptr},
      };
      static const ::braid::durable::detail::durable_table table = {
          "tally(int, int)", parts, 4, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, int, int>, 0x7a115167ull,
          &::braid::durable::codec<long>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, long>(id, steps);
}

// BRAID_DURABLE braid::run<int> fails(int n) {
//   braid::listen<std::string>("fail:" + std::to_string(n));
//   throw std::runtime_error("boom " + std::to_string(n));
// }
BRAID_DURABLE braid::run<int> fails(int n) {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<int> {
    using __braid_step = ::braid::detail::step;
    int n;
    ::braid::detail::slot<::std::string> __braid_slot_0;
    __braid_frame(const ::braid::durable::detail::durable_table& __braid_table, int n)
        : ::braid::durable::detail::durable_frame<int>(__braid_table), n(static_cast<int&&>(n)) {}
    ~__braid_frame() override {}

    __braid_step __braid_part_0() {
      return this->::braid::durable::detail::durable_core::listen("fail:" + std::to_string(n), 1, this->__braid_slot_0);
    }
    __braid_step __braid_part_1() {
      (void)this->__braid_slot_0.take();
      throw std::runtime_error("boom " + std::to_string(n));
    }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static __braid_step __braid_thunk_1(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_1(); }
    static void __braid_unwind(::braid::durable::detail::durable_core*, ::std::int32_t) noexcept {}
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      w.param("n", static_cast<const __braid_frame*>(f)->n);
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      return new __braid_frame(t, r.param<int>("n"));
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "fails(int)#0", "flows.cpp", 648, 3, "", -1, 0xfa11000000000000ull, nullptr},
          {&__braid_thunk_1, "fails(int)#1", "flows.cpp", 649, 3, "", -1, 0xfa11000000000001ull,
           &::braid::durable::detail::listen_site<__braid_frame, ::std::string, &__braid_frame::__braid_slot_0>},
      };
      static const ::braid::durable::detail::durable_table table = {
          "fails(int)", parts, 2, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, int>, 0xfa115167ull, &::braid::durable::codec<int>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, int>(n);
}

// BRAID_DURABLE braid::run<long> product(long a, long b) { return a * b; }
BRAID_DURABLE braid::run<long> product(long a, long b) {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<long> {
    using __braid_step = ::braid::detail::step;
    long a;
    long b;
    __braid_frame(const ::braid::durable::detail::durable_table& __braid_table, long a, long b)
        : ::braid::durable::detail::durable_frame<long>(__braid_table), a(static_cast<long&&>(a)), b(static_cast<long&&>(b)) {}
    ~__braid_frame() override {}
    __braid_step __braid_part_0() { return this->::braid::durable::detail::durable_frame<long>::finish_with(a * b); }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static void __braid_unwind(::braid::durable::detail::durable_core*, ::std::int32_t) noexcept {}
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      auto* self = static_cast<const __braid_frame*>(f);
      w.param("a", self->a);
      w.param("b", self->b);
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      return new __braid_frame(t, r.param<long>("a"), r.param<long>("b"));
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "product(long, long)#0", "flows.cpp", 683, 58, "", -1, 0x960d000000000000ull, nullptr},
      };
      static const ::braid::durable::detail::durable_table table = {
          "product(long, long)", parts, 1, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, long, long>, 0x960d5167ull,
          &::braid::durable::codec<long>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, long>(a, b);
}

// BRAID_DURABLE braid::run<std::int64_t> whoami() {
//   braid::durable::set_index("scratch", "1");
//   braid::durable::clear_index("scratch");
//   braid::durable::set_index("me", braid::durable::to_string(braid::durable::this_run()));
//   return static_cast<std::int64_t>(braid::durable::this_run());
// }
BRAID_DURABLE braid::run<std::int64_t> whoami() {
  struct __braid_frame final : ::braid::durable::detail::durable_frame<::std::int64_t> {
    using __braid_step = ::braid::detail::step;
    explicit __braid_frame(const ::braid::durable::detail::durable_table& __braid_table)
        : ::braid::durable::detail::durable_frame<::std::int64_t>(__braid_table) {}
    ~__braid_frame() override {}
    __braid_step __braid_part_0() {
      braid::durable::set_index("scratch", "1");
      braid::durable::clear_index("scratch");
      braid::durable::set_index("me", braid::durable::to_string(braid::durable::this_run()));
      return this->::braid::durable::detail::durable_frame<::std::int64_t>::finish_with(
          static_cast<std::int64_t>(braid::durable::this_run()));
    }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static void __braid_unwind(::braid::durable::detail::durable_core*, ::std::int32_t) noexcept {}
    static void __braid_encode(const ::braid::durable::detail::durable_core*, ::braid::durable::detail::frame_writer&) {}
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader&) {
      return new __braid_frame(t);
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "whoami()#0", "flows.cpp", 716, 3, "", -1, 0x3a0a000000000000ull, nullptr},
      };
      static const ::braid::durable::detail::durable_table table = {
          "whoami()", parts, 1, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame>, 0x3a0a5167ull, &::braid::durable::codec<::std::int64_t>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, ::std::int64_t>();
}

}  // namespace flows
