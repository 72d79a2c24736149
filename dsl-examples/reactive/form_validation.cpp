// SPDX-License-Identifier: MIT
// Reactive form validation: three input fields are refs; each field's
// verdict is a signal derived from it; the form's verdict combines them.
// Typing into a field updates exactly the verdicts that depend on it, in
// one glitch-free propagation, and the summary line is only recomputed
// when some verdict actually changed (latest caches equal arguments): an
// edit that leaves every verdict as it was re-announces the cached summary.
#include <braid/op/latest.hpp>
#include <braid/op/reduce.hpp>
#include <braid/op/signal.hpp>
#include <braid/op/watch.hpp>
#include <braid/ref.hpp>

#include <cstdio>
#include <string>

namespace {

std::string check_name(const std::string& n) { return n.size() >= 2 ? "" : "name: at least 2 characters"; }
std::string check_email(const std::string& e) {
  return e.find('@') != std::string::npos ? "" : "email: needs an @";
}
std::string check_password(const std::string& p) { return p.size() >= 8 ? "" : "password: at least 8 characters"; }

}  // namespace

int main() {
  braid::ref<std::string> name(std::string{}), email(std::string{}), password(std::string{});

  auto name_ok = braid::signal(braid::latest(check_name, braid::watch(name)));
  auto email_ok = braid::signal(braid::latest(check_email, braid::watch(email)));
  auto password_ok = braid::signal(braid::latest(check_password, braid::watch(password)));

  int summaries = 0;
  auto form = braid::signal(braid::latest(
      [&summaries](const std::string& a, const std::string& b, const std::string& c) {
        ++summaries;
        std::string problems;
        for (const std::string* p : {&a, &b, &c})
          if (!p->empty()) problems += (problems.empty() ? "" : "; ") + *p;
        return problems.empty() ? std::string("valid") : "invalid (" + problems + ")";
      },
      name_ok, email_ok, password_ok));

  std::string last;
  braid::canceller stop = braid::reduce([&last](int, const std::string& v) {
                                          std::printf("form: %s\n", v.c_str());
                                          last = v;
                                          return 0;
                                        },
                                        0, form)
                              .run([](int) {}, [](std::exception_ptr) {});

  name.reset("Ada");
  email.reset("ada");
  email.reset("ada@example.org");
  password.reset("lovelace");
  name.reset("Ada L.");  // still valid: the verdicts are unchanged, no new summary is computed

  std::printf("form_validation: %s after %d summaries\n", last.c_str(), summaries);
  stop();
  return last == "valid" ? 0 : 1;
}
