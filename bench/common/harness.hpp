// SPDX-License-Identifier: MIT
// The timing harness shared by every workload executable.
//
// A workload registers variants (braid and baselines), each a function
// n -> checksum. finish() runs every variant `warmup` times untimed and
// `reps` times timed, prints one table row per braid variant (its median
// against each baseline's median, and whether every checksum agrees) plus a
// line per variant, and returns non-zero when a checksum disagrees: the
// smoke tests in bench/CMakeLists.txt rely on that exit code. Timings are
// reported, never asserted.
#pragma once

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace bench {

struct options {
  long n = 0;
  int reps = 5;
  int warmup = 1;
  const char* json = nullptr;   // append one JSON line to this file
  const char* table = nullptr;  // append the summary table's rows (TSV) to this file
  const char* only = nullptr;   // run only the variants whose name contains this
  bool quick = false;           // n / 100 (unless --n is given): a fast, rough run
  bool list = false;            // print the variant names, one a line, and run nothing
};

[[noreturn]] inline void usage(const char* prog, const char* why) {
  std::fprintf(
      stderr,
      "%s: %s\n"
      "usage: %s [--n N] [--reps R] [--warmup W] [--json FILE] [--table FILE] [--only SUBSTRING] [--quick] [--list]\n",
      prog, why, prog);
  std::exit(2);
}

inline options parse(int argc, char** argv, long default_n) {
  options o;
  o.n = 0;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage(argv[0], (std::string("missing value after ") + a).c_str());
      return argv[++i];
    };
    auto number = [&](long lo) {
      const char* v = value();
      char* end = nullptr;
      long x = std::strtol(v, &end, 10);
      if (!*v || *end || x < lo) usage(argv[0], (std::string("bad number for ") + a + ": " + v).c_str());
      return x;
    };
    if (!std::strcmp(a, "--n"))
      o.n = number(1);
    else if (!std::strcmp(a, "--reps"))
      o.reps = static_cast<int>(number(1));
    else if (!std::strcmp(a, "--warmup"))
      o.warmup = static_cast<int>(number(0));
    else if (!std::strcmp(a, "--json"))
      o.json = value();
    else if (!std::strcmp(a, "--table"))
      o.table = value();
    else if (!std::strcmp(a, "--only"))
      o.only = value();
    else if (!std::strcmp(a, "--quick"))
      o.quick = true;
    else if (!std::strcmp(a, "--list"))
      o.list = true;
    else
      usage(argv[0], (std::string("unknown argument ") + a).c_str());
  }
  if (!o.n) o.n = o.quick ? std::max(1L, default_n / 100) : default_n;
  return o;
}

enum class side { braid, baseline };

/// Extra numbers a variant reports about its last run (bytes per process...).
class metrics {
 public:
  void set(std::string key, double v) {
    for (auto& kv : kv_)
      if (kv.first == key) {
        kv.second = v;
        return;
      }
    kv_.emplace_back(std::move(key), v);
  }
  const std::vector<std::pair<std::string, double>>& all() const { return kv_; }

 private:
  std::vector<std::pair<std::string, double>> kv_;
};

/// Thrown by a variant whose own verification failed (a frame not
/// destroyed, a process not completed): reported, and fails the run.
struct check_failed {
  std::string what;
};

/// Fails the variant with a printf-style message when `ok` is false.
[[gnu::format(printf, 2, 3)]] inline void check(bool ok, const char* format, ...) {
  if (ok) return;
  char buf[256];
  std::va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  throw check_failed{buf};
}

class suite {
 public:
  suite(std::string id, std::string title, options o) : id_(std::move(id)), title_(std::move(title)), o_(o) {}

  using body = std::function<std::int64_t(long n, metrics&)>;

  void add(std::string name, side s, body f) {
    if (o_.only && name.find(o_.only) == std::string::npos) return;
    variants_.push_back({std::move(name), s, std::move(f), {}, 0, {}, {}});
  }
  void add(std::string name, side s, std::function<std::int64_t(long)> f) {
    add(std::move(name), s, body([f = std::move(f)](long n, metrics&) { return f(n); }));
  }

  /// The checksum every variant must produce (from the closed form), or
  /// none: then the variants must only agree with each other.
  void expect(std::int64_t checksum) {
    expected_ = checksum;
    has_expected_ = true;
  }

  int finish() {
    if (o_.list) {
      for (auto& v : variants_) std::printf("%s\n", v.name.c_str());
      return 0;
    }
    std::printf("%s: %s (n = %ld, %d warm-up + %d timed runs each)\n", id_.c_str(), title_.c_str(), o_.n, o_.warmup,
                o_.reps);
    bool ok = true;
    for (auto& v : variants_) {
      try {
        for (int r = 0; r < o_.warmup; ++r) {
          metrics m;
          v.checksum = v.f(o_.n, m);
        }
        for (int r = 0; r < o_.reps; ++r) {
          metrics m;
          auto t0 = std::chrono::steady_clock::now();
          std::int64_t c = v.f(o_.n, m);
          auto t1 = std::chrono::steady_clock::now();
          v.ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(o_.n));
          if (r > 0 && c != v.checksum) v.error = "checksum changed between runs";
          v.checksum = c;
          v.m = std::move(m);
        }
      } catch (const check_failed& e) {
        v.error = e.what;
      } catch (const std::exception& e) {
        v.error = std::string("exception: ") + e.what();
      } catch (...) {
        v.error = "unknown exception";
      }
      if (v.error.empty() && has_expected_ && v.checksum != expected_)
        v.error = "checksum " + std::to_string(v.checksum) + ", expected " + std::to_string(expected_);
      if (!v.error.empty()) ok = false;
    }
    if (!has_expected_ && !variants_.empty())
      for (auto& v : variants_)
        if (v.error.empty() && v.checksum != variants_.front().checksum) {
          v.error = "checksum disagrees with " + variants_.front().name;
          ok = false;
        }
    for (auto& v : variants_) {
      std::printf("  %-34s %-8s median %10.2f ns/op  min %10.2f  checksum %" PRId64, v.name.c_str(),
                  v.s == side::braid ? "braid" : "baseline", median(v), minimum(v), v.checksum);
      for (auto& [k, x] : v.m.all()) std::printf("  %s %.1f", k.c_str(), x);
      if (!v.error.empty()) std::printf("  FAILED: %s", v.error.c_str());
      std::printf("\n");
    }
    for (auto& v : variants_)
      if (v.s == side::braid) {
        std::printf("  ratio %-28s", v.name.c_str());
        for (auto& b : variants_)
          if (b.s == side::baseline && b.error.empty() && median(b) > 0)
            std::printf("  / %s = %.2fx", b.name.c_str(), median(v) / median(b));
        std::printf("\n");
      }
    std::printf("  checksums %s\n", ok ? "agree" : "DISAGREE (or a variant failed)");
    if (o_.json) write_json(ok);
    if (o_.table) write_table(ok);
    std::fflush(stdout);
    return ok ? 0 : 1;
  }

 private:
  struct variant {
    std::string name;
    side s;
    body f;
    std::vector<double> ns;
    std::int64_t checksum;
    metrics m;
    std::string error;
  };

  static double median(const variant& v) {
    if (v.ns.empty()) return 0;
    std::vector<double> x = v.ns;
    std::sort(x.begin(), x.end());
    std::size_t k = x.size() / 2;
    return x.size() % 2 ? x[k] : (x[k - 1] + x[k]) / 2;
  }
  static double minimum(const variant& v) { return v.ns.empty() ? 0 : *std::min_element(v.ns.begin(), v.ns.end()); }

  static std::string quote(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') o += '\\';
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        o += buf;
        continue;
      }
      o += c;
    }
    return o + "\"";
  }

  // The summary rows bench/run prints: per braid variant, its median next to
  // the best (lowest) median of each baseline family, named by prefix
  // ("callbacks...", "coroutine..."), the ratios, its metrics next to theirs,
  // and the checksum verdict. A baseline of another kind (W6's clang++) gets
  // a row of its own under the braid variant, with the ratio against it.
  void write_table(bool ok) const {
    std::FILE* f = std::fopen(o_.table, "a");
    if (!f) {
      std::fprintf(stderr, "%s: cannot open %s for appending\n", id_.c_str(), o_.table);
      return;
    }
    auto kind = [](const variant& v) {
      if (v.name.rfind("callbacks", 0) == 0) return 0;
      if (v.name.rfind("coroutine", 0) == 0) return 1;
      return 2;
    };
    auto best = [&](int k) -> const variant* {
      const variant* b = nullptr;
      for (auto& v : variants_)
        if (v.s == side::baseline && v.error.empty() && kind(v) == k && (!b || median(v) < median(*b))) b = &v;
      return b;
    };
    const variant* cb = best(0);
    const variant* co = best(1);
    const variant* other = best(2);
    auto cell = [](const variant* v) { return v ? fmt("%.2f", median(*v)) : std::string("-"); };
    auto ratio = [](const variant& v, const variant* b) {
      return b && median(*b) > 0 ? fmt("%.2fx", median(v) / median(*b)) : std::string("-");
    };
    // "key braid/callbacks/coroutine" for each metric of the braid variant.
    auto metric = [](const variant* v, const std::string& k) {
      if (v)
        for (auto& [key, x] : v->m.all())
          if (key == k) return fmt("%.1f", x);
      return std::string("-");
    };
    for (auto& v : variants_) {
      if (v.s != side::braid) continue;
      std::string mem;
      for (auto& kv : v.m.all()) {
        if (!mem.empty()) mem += "; ";
        mem += kv.first;
        mem += ' ';
        mem += metric(&v, kv.first);
        mem += '/';
        mem += metric(cb, kv.first);
        mem += '/';
        mem += metric(co, kv.first);
      }
      std::fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id_.c_str(), v.name.c_str(),
                   fmt("%.2f", median(v)).c_str(), cell(cb).c_str(), cell(co).c_str(), ratio(v, cb).c_str(),
                   ratio(v, co).c_str(), ok ? "agree" : "DISAGREE", mem.empty() ? "-" : mem.c_str());
      if (other)  // a baseline of another kind (W6: clang++ -fsyntax-only): a row of its own
        std::fprintf(f, "%s\t  vs %s\t%s\t-\t-\t%s (vs it)\t-\t%s\t-\n", id_.c_str(), other->name.c_str(),
                     cell(other).c_str(), ratio(v, other).c_str(), ok ? "agree" : "DISAGREE");
    }
    std::fclose(f);
  }

  template <class... A>
  static std::string fmt(const char* f, A... a) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, a...);
    return buf;
  }

  // One JSON object per workload, on one line, appended to the file:
  // bench/run gathers the lines into bench/results/latest.json.
  void write_json(bool ok) const {
    std::FILE* f = std::fopen(o_.json, "a");
    if (!f) {
      std::fprintf(stderr, "%s: cannot open %s for appending\n", id_.c_str(), o_.json);
      return;
    }
    std::fprintf(
        f, "{\"workload\":%s,\"title\":%s,\"n\":%ld,\"reps\":%d,\"warmup\":%d,\"checksums_agree\":%s,\"variants\":[",
        quote(id_).c_str(), quote(title_).c_str(), o_.n, o_.reps, o_.warmup, ok ? "true" : "false");
    for (std::size_t i = 0; i < variants_.size(); ++i) {
      const variant& v = variants_[i];
      std::fprintf(f,
                   "%s{\"name\":%s,\"side\":%s,\"median_ns_per_op\":%.3f,\"min_ns_per_op\":%.3f,\"checksum\":%" PRId64
                   ",\"error\":%s,\"samples_ns_per_op\":[",
                   i ? "," : "", quote(v.name).c_str(), v.s == side::braid ? "\"braid\"" : "\"baseline\"", median(v),
                   minimum(v), v.checksum, v.error.empty() ? "null" : quote(v.error).c_str());
      for (std::size_t j = 0; j < v.ns.size(); ++j) std::fprintf(f, "%s%.3f", j ? "," : "", v.ns[j]);
      std::fprintf(f, "],\"metrics\":{");
      bool first = true;
      for (auto& [k, x] : v.m.all()) {
        std::fprintf(f, "%s%s:%.3f", first ? "" : ",", quote(k).c_str(), x);
        first = false;
      }
      std::fprintf(f, "}}");
    }
    std::fprintf(f, "]}\n");
    std::fclose(f);
  }

  std::string id_;
  std::string title_;
  options o_;
  std::vector<variant> variants_;
  std::int64_t expected_ = 0;
  bool has_expected_ = false;
};

/// Keeps the optimizer from deleting a computation whose result is unused.
template <class T>
inline void keep(const T& v) {
  asm volatile("" : : "g"(&v) : "memory");
}

}  // namespace bench
