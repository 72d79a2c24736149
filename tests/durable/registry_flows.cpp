// SPDX-License-Identifier: MIT
// A durable function for the registry tests (timers, topics, the baton),
// hand-written in the shape braidc is to generate (docs/durable.md "The
// frame contract"), like flows.cpp; the annotated source is above it.
#include "flows.hpp"

#include <braid/durable/registries.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace flows {

namespace {
bool starts(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

/// One command of inbox (see flows.hpp). Returns the context to listen for
/// once ("wait X"), or empty.
std::string obey(const std::string& name, const std::string& c, std::vector<std::string>& log) {
  using namespace braid::durable;
  const std::string in = "in:" + name;
  if (starts(c, "sub ")) {
    subscribe(c.substr(4), in);
  } else if (starts(c, "unsub ")) {
    unsubscribe(c.substr(6));
  } else if (c == "unsub-all") {
    unsubscribe_all();
  } else if (starts(c, "after ") || starts(c, "at ")) {
    // after MS PAYLOAD [ID] / at MS PAYLOAD [ID]
    const std::size_t a = c.find(' '), b = c.find(' ', a + 1), d = c.find(' ', b + 1);
    const long ms = std::stol(c.substr(a + 1, b - a - 1));
    const std::string payload = c.substr(b + 1, d == std::string::npos ? std::string::npos : d - b - 1);
    const std::string id = d == std::string::npos ? std::string() : c.substr(d + 1);
    event ev = make_event(id, in, payload);
    if (c[1] == 'f')
      after(std::chrono::milliseconds(ms), std::move(ev));
    else
      at(time_point(std::chrono::milliseconds(ms)), std::move(ev));
  } else if (starts(c, "cancel ")) {
    cancel_timer(c.substr(7));
  } else if (starts(c, "wait ")) {
    return c.substr(5);
  } else {
    log.push_back(c);
    output(c);
  }
  return {};
}
}  // namespace

// BRAID_DURABLE braid::run<std::vector<std::string>> inbox(std::string name) {
//   std::vector<std::string> log;
//   for (;;) {
//     std::string c = braid::listen<std::string>("in:" + name);
//     if (c == "end") return log;
//     std::string other = obey(name, c, log);
//     if (!other.empty()) {
//       std::string v = braid::listen<std::string>(other);
//       log.push_back(other + "=" + v);
//       braid::durable::output(log.back());
//     }
//   }
// }
BRAID_DURABLE braid::run<std::vector<std::string>> inbox(std::string name) {
  using strings = ::std::vector<::std::string>;
  struct __braid_frame final : ::braid::durable::detail::durable_frame<strings> {
    using __braid_step = ::braid::detail::step;
    ::std::string name;
    union { strings log; };
    bool __braid_alive_log = false;
    union { ::std::string other; };
    bool __braid_alive_other = false;
    ::braid::detail::slot<::std::string> __braid_slot_0;
    ::braid::detail::slot<::std::string> __braid_slot_1;
    __braid_frame(const ::braid::durable::detail::durable_table& __braid_table, ::std::string name)
        : ::braid::durable::detail::durable_frame<strings>(__braid_table), name(static_cast<::std::string&&>(name)) {}
    ~__braid_frame() override {}

    __braid_step __braid_part_0() {
      ::new (::braid::detail::kept_storage(this->log)) strings(); this->__braid_alive_log = true;
      return __braid_step{1};
    }
    __braid_step __braid_part_1() {
      return this->::braid::durable::detail::durable_core::listen("in:" + name, 2, this->__braid_slot_0);
    }
    __braid_step __braid_part_2() {
      std::string c = this->__braid_slot_0.take();
      if (c == "end") return this->::braid::durable::detail::durable_frame<strings>::finish_with(log);
      ::new (::braid::detail::kept_storage(this->other)) ::std::string(obey(name, c, log)); this->__braid_alive_other = true;
      if (!other.empty()) return this->::braid::durable::detail::durable_core::listen(other, 3, this->__braid_slot_1);
      ::braid::detail::kept_destroy(this->other, this->__braid_alive_other);
      return __braid_step{1};
    }
    __braid_step __braid_part_3() {
      std::string v = this->__braid_slot_1.take();
      log.push_back(other + "=" + v);
      ::braid::durable::output(log.back());
      ::braid::detail::kept_destroy(this->other, this->__braid_alive_other);
      return __braid_step{1};
    }
    static __braid_step __braid_thunk_0(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_0(); }
    static __braid_step __braid_thunk_1(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_1(); }
    static __braid_step __braid_thunk_2(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_2(); }
    static __braid_step __braid_thunk_3(::braid::durable::detail::durable_core* f) { return static_cast<__braid_frame*>(f)->__braid_part_3(); }
    static void __braid_unwind(::braid::durable::detail::durable_core* f, ::std::int32_t r) noexcept {
      auto* self = static_cast<__braid_frame*>(f);
      if (r < 0) {
        ::braid::detail::kept_destroy(self->other, self->__braid_alive_other);
        ::braid::detail::kept_destroy(self->log, self->__braid_alive_log);
      }
    }
    static void __braid_encode(const ::braid::durable::detail::durable_core* f, ::braid::durable::detail::frame_writer& w) {
      auto* self = static_cast<const __braid_frame*>(f);
      w.param("name", self->name);
      switch (self->state()) {
        case 2: w.local("log", self->log, self->__braid_alive_log); break;
        case 3:
          w.local("log", self->log, self->__braid_alive_log);
          w.local("other", self->other, self->__braid_alive_other);
          break;
      }
    }
    static ::braid::durable::detail::durable_core* __braid_decode(const ::braid::durable::detail::durable_table& t, ::braid::durable::detail::frame_reader& r) {
      auto* self = new __braid_frame(t, r.param<::std::string>("name"));
      ::braid::durable::detail::decode_guard g(self);
      switch (r.state()) {
        case 2: r.local("log", self->log, self->__braid_alive_log); break;
        case 3:
          r.local("log", self->log, self->__braid_alive_log);
          r.local("other", self->other, self->__braid_alive_other);
          break;
      }
      g.release();
      return self;
    }
    static const ::braid::durable::detail::durable_table& __braid_table() {
      static const ::braid::durable::detail::durable_partition_info parts[] = {
          {&__braid_thunk_0, "inbox(std::string)#0", "registry_flows.cpp", 61, 72, "", -1, 0x1b0c000000000000ull, nullptr},
          {&__braid_thunk_1, "inbox(std::string)#1", "registry_flows.cpp", 63, 3, "log", -1, 0x1b0c000000000001ull, nullptr},
          {&__braid_thunk_2, "inbox(std::string)#2", "registry_flows.cpp", 64, 19, "log", -1, 0x1b0c000000000002ull,
           &::braid::durable::detail::listen_site<__braid_frame, ::std::string, &__braid_frame::__braid_slot_0>},
          {&__braid_thunk_3, "inbox(std::string)#3", "registry_flows.cpp", 68, 21, "log, other", -1, 0x1b0c000000000003ull,
           &::braid::durable::detail::listen_site<__braid_frame, ::std::string, &__braid_frame::__braid_slot_1>},
      };
      static const ::braid::durable::detail::durable_table table = {
          "inbox(std::string)", parts, 4, nullptr, 0, &__braid_unwind, &__braid_encode, &__braid_decode,
          &::braid::durable::detail::make_frame<__braid_frame, ::std::string>, 0x1b0c5167ull,
          &::braid::durable::codec<strings>::name};
      return table;
    }
  };
  return ::braid::durable::detail::make_run<__braid_frame, strings>(name);
}

}  // namespace flows
