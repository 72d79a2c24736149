// SPDX-License-Identifier: MIT
#pragma once

/// Codecs: how durable runs turn the values in a frame into bytes and back
/// ([design.6], docs/durable.md "Codecs").
///
/// The format is self-describing: a strict subset of CBOR (RFC 8949) with
/// two tags of braid's own, so a tool (braid-runs, or any CBOR reader) can
/// print a stored frame's locals without the C++ types:
///
/// | C++                                        | encoded as                                   |
/// |--------------------------------------------|----------------------------------------------|
/// | bool                                       | false / true                                 |
/// | integers, enums (their underlying integer) | unsigned (major 0) or negative (major 1) int |
/// | float / double                             | float32 / float64                            |
/// | std::string                                | text string (its bytes as they are)          |
/// | std::vector<std::byte>                     | byte string                                  |
/// | vector, deque, list, array, set, multiset, unordered_(multi)set, pair, tuple | array   |
/// | map, multimap, unordered_(multi)map        | map with encoded keys                        |
/// | std::optional<T>                           | null, or the value (tag 40001 around it when T itself may encode as null) |
/// | std::variant<Ts...>, std::monostate        | tag 40000 over [index, value]; null          |
/// | std::chrono::duration                      | its count                                    |
/// | a type with braid_codec (records)          | map of field name -> value (indefinite length) |
///
/// User types: write one function, found by argument-dependent lookup, that
/// lists the fields by name; it is used both ways:
///
///     struct order { std::string id; std::vector<line> lines; int priority = 0; };
///     void braid_codec(braid::durable::fields& f, order& o) {
///       f.field("id", o.id).field("lines", o.lines).field_if_present("priority", o.priority);
///     }
///
/// (decoding default-constructs the type, then assigns the fields; encoding
/// only reads them). For full control (a type that is not default
/// constructible, another representation) specialize
/// `braid::durable::codec<T>` with `static void encode(writer&, const T&)`,
/// `static T decode(reader&)` and `static std::string name()`.
///
/// Decoding never trusts the bytes: every length is checked against what is
/// left, every integer against its type's range, and a mismatch throws
/// codec_error naming what was decoded, where inside it (".lines[2].qty"),
/// what was expected and what was found.

#include <braid/durable/error.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace braid::durable {

/// braid's own CBOR tags.
inline constexpr std::uint64_t tag_variant = 40000;  ///< over [alternative index, value]
inline constexpr std::uint64_t tag_some = 40001;     ///< an engaged optional whose value may itself be null

namespace detail {

/// A readable name of T for messages, from the compiler's function signature.
template <class T>
constexpr std::string_view raw_type_name() noexcept {
  std::string_view p = __PRETTY_FUNCTION__;
#if defined(__clang__)
  const std::string_view key = "T = ";
  const char end = ']';
#else
  const std::string_view key = "with T = ";
  const char end = ';';
#endif
  const auto b = p.find(key);
  if (b == std::string_view::npos) return "?";
  p.remove_prefix(b + key.size());
  const auto e = p.find(end);
  return e == std::string_view::npos ? p.substr(0, p.size() - 1) : p.substr(0, e);
}

template <class T>
inline constexpr bool dependent_false = false;

}  // namespace detail

/// Appends encoded items to a byte string.
class writer {
 public:
  void boolean(bool v) { out_.push_back(static_cast<char>(v ? 0xf5 : 0xf4)); }
  void null() { out_.push_back(static_cast<char>(0xf6)); }
  void uint(std::uint64_t v) { head(0, v); }
  void sint(std::int64_t v) {
    if (v >= 0)
      head(0, static_cast<std::uint64_t>(v));
    else
      head(1, static_cast<std::uint64_t>(-(v + 1)));
  }
  void f32(float v);
  void f64(double v);
  void text(std::string_view s) {
    head(3, s.size());
    out_.append(s);
  }
  void bytes(std::string_view s) {
    head(2, s.size());
    out_.append(s);
  }
  void array(std::uint64_t n) { head(4, n); }
  void map(std::uint64_t n) { head(5, n); }
  void tag(std::uint64_t t) { head(6, t); }
  /// An indefinite-length map (entries follow, then end()): records, whose
  /// field count is only known once they are written.
  void begin_map() { out_.push_back(static_cast<char>(0xbf)); }
  void end() { out_.push_back(static_cast<char>(0xff)); }
  /// Appends an already encoded item.
  void raw(std::string_view encoded) { out_.append(encoded); }

  const std::string& data() const noexcept { return out_; }
  std::string take() noexcept { return std::move(out_); }

 private:
  void head(unsigned major, std::uint64_t arg);
  std::string out_;
};

/// Reads encoded items, checking each against what the caller expects.
/// Errors name `what` (set at construction: "the payload of event 'e1'"),
/// the path inside it, the expectation and what was found.
class reader {
 public:
  explicit reader(std::string_view data, std::string what = "a value");

  /// The major type of the next item (0..7), or -1 at the end of the data.
  int peek_major() const;
  bool at_end() const noexcept { return pos_ >= end_; }
  bool at_null() const;
  bool at_tag(std::uint64_t t) const;

  bool read_bool(std::string_view type);
  /// An integer in [lo, hi]; `type` names the C++ type for the message.
  std::int64_t read_int(std::int64_t lo, std::int64_t hi, std::string_view type);
  std::uint64_t read_uint(std::uint64_t hi, std::string_view type);
  double read_float(bool single, std::string_view type);
  std::string read_text(std::string_view type);
  std::string read_bytes(std::string_view type);
  /// An array head; returns the element count. `n` >= 0: exactly n.
  std::uint64_t read_array(std::string_view type, std::int64_t n = -1);
  /// A map head (definite or indefinite); returns the entry count, or -1
  /// for an indefinite map (then call more_entries() before each entry).
  std::int64_t read_map(std::string_view type);
  bool more_entries();
  void read_null(std::string_view type);
  void read_tag(std::uint64_t t, std::string_view type);
  /// Skips one whole item (iteratively: nesting cannot overflow the stack).
  void skip();
  /// Throws unless the data is used up.
  void expect_end();

  std::size_t position() const noexcept { return pos_; }
  std::string_view data() const noexcept { return data_; }

  /// Runs f with this reader limited to [b, e) of the data, checks that f
  /// read exactly up to e, restores the reader and returns what f returned.
  template <class F>
  decltype(auto) within(std::size_t b, std::size_t e, F&& f) {
    struct restore {
      reader& r;
      std::size_t pos, end;
      ~restore() {
        r.pos_ = pos;
        r.end_ = end;
      }
    } g{*this, pos_, end_};
    pos_ = b;
    end_ = e;
    if constexpr (std::is_void_v<decltype(f())>) {
      f();
      if (pos_ != end_) fail("the end of the item", "more bytes after it");
    } else {
      decltype(auto) v = f();
      if (pos_ != end_) fail("the end of the item", "more bytes after it");
      return v;
    }
  }

  /// Path segments (".field", "[3]") for messages; push/pop in pairs.
  void push(std::string segment) { path_.push_back(std::move(segment)); }
  void pop() noexcept { path_.pop_back(); }

  /// Throws codec_error: "braid: cannot decode <what><path>: expected
  /// <expected>, found <found or the next item>".
  [[noreturn]] void fail(std::string_view expected, std::string_view found = {}) const;
  /// A description of the next item ("a text string \"abc\"", "the end of the data").
  std::string describe_next() const;

 private:
  struct head_t {
    unsigned major;
    unsigned info;
    std::uint64_t arg;
    std::size_t size;
    bool indefinite;
  };
  head_t peek_head(std::string_view expected) const;
  void take_head(const head_t& h) noexcept { pos_ += h.size; }
  std::string_view take_payload(const head_t& h, std::string_view expected);

  std::string_view data_;
  std::size_t pos_ = 0;
  std::size_t end_ = 0;
  std::string what_;
  std::vector<std::string> path_;
};

/// RAII path segment.
class path_scope {
 public:
  path_scope(reader& r, std::string seg) : r_(r) { r_.push(std::move(seg)); }
  ~path_scope() { r_.pop(); }
  path_scope(const path_scope&) = delete;
  path_scope& operator=(const path_scope&) = delete;

 private:
  reader& r_;
};

template <class T>
struct codec;

class fields;

namespace detail {
void braid_codec();  // keeps ordinary lookup from finding anything: ADL only

template <class T>
concept has_braid_codec = requires(fields& f, T& v) { braid_codec(f, v); };

template <class T>
concept nullable_value = requires { codec<T>::nullable; } && codec<T>::nullable;

template <class T>
std::string codec_name() {
  return codec<std::remove_cv_t<T>>::name();
}
}  // namespace detail

/// Encodes v into w.
template <class T>
void encode_to(writer& w, const T& v) {
  codec<std::remove_cv_t<T>>::encode(w, v);
}
/// Decodes one T from r.
template <class T>
T decode_from(reader& r) {
  return codec<std::remove_cv_t<T>>::decode(r);
}
/// The bytes of v.
template <class T>
std::string encode(const T& v) {
  writer w;
  encode_to(w, v);
  return w.take();
}
/// Decodes a T from the whole of `bytes`; `what` names them in errors.
template <class T>
T decode(std::string_view bytes, std::string what = "a value") {
  reader r(bytes, std::move(what));
  T v = decode_from<T>(r);
  r.expect_end();
  return v;
}

/// The visitor a braid_codec function (and braidc's generated aggregate
/// codecs) lists fields to. One pass of the function either writes every
/// field or reads them back by name, in any stored order; a stored field
/// the function does not list, a listed field that is missing (except with
/// field_if_present) or a duplicate name is an error.
class fields {
 public:
  /// A required field.
  template <class T>
  fields& field(std::string_view name, T& v) {
    if (w_) {
      w_->text(name);
      encode_to(*w_, v);
    } else if (const entry* e = find(name, true)) {
      path_scope s(*r_, "." + std::string(name));
      r_->within(e->begin, e->end, [&] { v = decode_from<T>(*r_); });
    }
    return *this;
  }
  /// A field that older stored values may lack: when absent, v keeps the
  /// value the default-constructed object gave it.
  template <class T>
  fields& field_if_present(std::string_view name, T& v) {
    if (w_) return field(name, v);
    if (const entry* e = find(name, false)) {
      path_scope s(*r_, "." + std::string(name));
      r_->within(e->begin, e->end, [&] { v = decode_from<T>(*r_); });
    }
    return *this;
  }
  bool encoding() const noexcept { return w_ != nullptr; }

  // Internal: the record codec drives these.
  explicit fields(writer& w) noexcept : w_(&w) {}
  fields(reader& r, std::string type);
  /// After the braid_codec pass: every stored field must have been listed.
  void finish_decode() const;

 private:
  struct entry {
    std::string name;
    std::size_t begin, end;
    bool used;
  };
  const entry* find(std::string_view name, bool required);

  writer* w_ = nullptr;
  reader* r_ = nullptr;
  std::string type_;
  std::vector<entry> entries_;
};

/// The codec of a type listed field by field: `Fields(f, v)` names the
/// fields (a user's braid_codec, or a function braidc generates for an
/// aggregate). Decoding default-constructs T.
template <class T, void (*Fields)(fields&, T&)>
struct record_codec {
  static void encode(writer& w, const T& v) {
    w.begin_map();
    fields f(w);
    Fields(f, const_cast<T&>(v));  // the encoding pass only reads
    w.end();
  }
  static T decode(reader& r) {
    static_assert(std::is_default_constructible_v<T>,
                  "braid::durable: a record type is decoded by default-constructing it and assigning its "
                  "fields; give it a default constructor or specialize braid::durable::codec<T>");
    T v{};
    fields f(r, name());
    Fields(f, v);
    f.finish_decode();
    return v;
  }
  static std::string name() { return std::string(detail::raw_type_name<T>()); }
};

namespace detail {
template <class T>
void adl_fields(fields& f, T& v) {
  braid_codec(f, v);
}

template <class T>
std::string integer_name() {
  if constexpr (std::is_same_v<T, char>) return "char";
  else if constexpr (std::is_same_v<T, signed char>) return "signed char";
  else if constexpr (std::is_same_v<T, unsigned char>) return "unsigned char";
  else if constexpr (std::is_same_v<T, short>) return "short";
  else if constexpr (std::is_same_v<T, unsigned short>) return "unsigned short";
  else if constexpr (std::is_same_v<T, int>) return "int";
  else if constexpr (std::is_same_v<T, unsigned>) return "unsigned int";
  else if constexpr (std::is_same_v<T, long>) return "long";
  else if constexpr (std::is_same_v<T, unsigned long>) return "unsigned long";
  else if constexpr (std::is_same_v<T, long long>) return "long long";
  else if constexpr (std::is_same_v<T, unsigned long long>) return "unsigned long long";
  else return std::string(raw_type_name<T>());
}
}  // namespace detail

/// Scalars, enums and user types with braid_codec; std types below.
template <class T>
struct codec {
  static void encode(writer& w, const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      w.boolean(v);
    } else if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_signed_v<T>)
        w.sint(static_cast<std::int64_t>(v));
      else
        w.uint(static_cast<std::uint64_t>(v));
    } else if constexpr (std::is_enum_v<T>) {
      codec<std::underlying_type_t<T>>::encode(w, static_cast<std::underlying_type_t<T>>(v));
    } else if constexpr (std::is_same_v<T, float>) {
      w.f32(v);
    } else if constexpr (std::is_same_v<T, double>) {
      w.f64(v);
    } else if constexpr (detail::has_braid_codec<T>) {
      record_codec<T, &detail::adl_fields<T>>::encode(w, v);
#if defined(BRAID_ANALYZING)
    } else if constexpr (std::is_aggregate_v<T>) {
      // braidc is reading the annotated source: it writes this
      // aggregate's codec into the generated file if a durable function
      // stores it (docs/durable.md "Codecs").
      (void)w;
      (void)v;
#endif
    } else {
      static_assert(detail::dependent_false<T>, "braid::durable::codec<T>: no codec for this type");
    }
  }
  static T decode(reader& r) {
    if constexpr (std::is_same_v<T, bool>) {
      return r.read_bool("bool");
    } else if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_signed_v<T>)
        return static_cast<T>(r.read_int(std::numeric_limits<T>::min(), std::numeric_limits<T>::max(), name()));
      else
        return static_cast<T>(r.read_uint(std::numeric_limits<T>::max(), name()));
    } else if constexpr (std::is_enum_v<T>) {
      return static_cast<T>(codec<std::underlying_type_t<T>>::decode(r));
    } else if constexpr (std::is_same_v<T, float>) {
      return static_cast<float>(r.read_float(true, "float"));
    } else if constexpr (std::is_same_v<T, double>) {
      return r.read_float(false, "double");
    } else if constexpr (detail::has_braid_codec<T>) {
      return record_codec<T, &detail::adl_fields<T>>::decode(r);
#if defined(BRAID_ANALYZING)
    } else if constexpr (std::is_aggregate_v<T>) {
      (void)r;
      return T{};
#endif
    } else {
      static_assert(detail::dependent_false<T>,
                    "braid::durable::codec<T>: no codec for this type; give it "
                    "`void braid_codec(braid::durable::fields&, T&)` found by argument-dependent lookup, or "
                    "specialize braid::durable::codec<T> (docs/durable.md \"Codecs\")");
    }
  }
  static std::string name() {
    if constexpr (std::is_same_v<T, bool>) return "bool";
    else if constexpr (std::is_integral_v<T>) return detail::integer_name<T>();
    else if constexpr (std::is_same_v<T, float>) return "float";
    else if constexpr (std::is_same_v<T, double>) return "double";
    else return std::string(detail::raw_type_name<T>());
  }
  static_assert(!std::is_same_v<T, long double>,
                "braid::durable: long double has no portable encoding; store a double");
  static_assert(!std::is_pointer_v<T> && !std::is_member_pointer_v<T>,
                "braid::durable: a pointer cannot be stored (it means nothing in another process); "
                "store the value it points to, or an index");
};

template <>
struct codec<std::string> {
  static void encode(writer& w, const std::string& v) { w.text(v); }
  static std::string decode(reader& r) { return r.read_text("std::string"); }
  static std::string name() { return "std::string"; }
};

template <>
struct codec<std::vector<std::byte>> {
  static void encode(writer& w, const std::vector<std::byte>& v) {
    w.bytes(std::string_view(reinterpret_cast<const char*>(v.data()), v.size()));
  }
  static std::vector<std::byte> decode(reader& r) {
    const std::string s = r.read_bytes("std::vector<std::byte>");
    std::vector<std::byte> out(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) out[i] = static_cast<std::byte>(s[i]);
    return out;
  }
  static std::string name() { return "std::vector<std::byte>"; }
};

template <>
struct codec<std::monostate> {
  static constexpr bool nullable = true;
  static void encode(writer& w, std::monostate) { w.null(); }
  static std::monostate decode(reader& r) {
    r.read_null("std::monostate");
    return {};
  }
  static std::string name() { return "std::monostate"; }
};

namespace detail {

/// Sequences: an array of their elements, decoded by inserting at the end
/// (or into the set).
template <class C, class E>
struct sequence_codec {
  static void encode(writer& w, const C& c) {
    std::uint64_t n = 0;
    if constexpr (requires { c.size(); })
      n = c.size();
    else
      for ([[maybe_unused]] const auto& e : c) ++n;
    w.array(n);
    for (const auto& e : c) encode_to(w, e);
  }
  static C decode(reader& r) {
    const std::string type = codec<C>::name();
    const std::uint64_t n = r.read_array(type);
    C c;
    if constexpr (requires { c.reserve(n); }) c.reserve(static_cast<std::size_t>(n));
    for (std::uint64_t i = 0; i < n; ++i) {
      path_scope s(r, "[" + std::to_string(i) + "]");
      if constexpr (requires { c.push_back(std::declval<E>()); })
        c.push_back(decode_from<E>(r));
      else
        c.insert(decode_from<E>(r));
    }
    return c;
  }
};

template <class C, class K, class V>
struct map_codec {
  static void encode(writer& w, const C& c) {
    w.map(c.size());
    for (const auto& [k, v] : c) {
      encode_to(w, k);
      encode_to(w, v);
    }
  }
  static C decode(reader& r) {
    const std::string type = codec<C>::name();
    const std::int64_t n = r.read_map(type);
    C c;
    for (std::int64_t i = 0; n < 0 ? r.more_entries() : i < n; ++i) {
      path_scope s(r, "{" + std::to_string(i) + "}");
      K k = decode_from<K>(r);
      V v = decode_from<V>(r);
      c.emplace(std::move(k), std::move(v));
    }
    return c;
  }
};

template <class... T>
std::string name_list() {
  std::string out;
  ((out += (out.empty() ? "" : ", ") + codec_name<T>()), ...);
  return out;
}

}  // namespace detail

template <class T, class A>
struct codec<std::vector<T, A>> : detail::sequence_codec<std::vector<T, A>, T> {
  static std::string name() { return "std::vector<" + detail::codec_name<T>() + ">"; }
};
template <class T, class A>
struct codec<std::deque<T, A>> : detail::sequence_codec<std::deque<T, A>, T> {
  static std::string name() { return "std::deque<" + detail::codec_name<T>() + ">"; }
};
template <class T, class A>
struct codec<std::list<T, A>> : detail::sequence_codec<std::list<T, A>, T> {
  static std::string name() { return "std::list<" + detail::codec_name<T>() + ">"; }
};
template <class T, class C, class A>
struct codec<std::set<T, C, A>> : detail::sequence_codec<std::set<T, C, A>, T> {
  static std::string name() { return "std::set<" + detail::codec_name<T>() + ">"; }
};
template <class T, class C, class A>
struct codec<std::multiset<T, C, A>> : detail::sequence_codec<std::multiset<T, C, A>, T> {
  static std::string name() { return "std::multiset<" + detail::codec_name<T>() + ">"; }
};
template <class T, class H, class E, class A>
struct codec<std::unordered_set<T, H, E, A>> : detail::sequence_codec<std::unordered_set<T, H, E, A>, T> {
  static std::string name() { return "std::unordered_set<" + detail::codec_name<T>() + ">"; }
};
template <class T, class H, class E, class A>
struct codec<std::unordered_multiset<T, H, E, A>>
    : detail::sequence_codec<std::unordered_multiset<T, H, E, A>, T> {
  static std::string name() { return "std::unordered_multiset<" + detail::codec_name<T>() + ">"; }
};
template <class K, class V, class C, class A>
struct codec<std::map<K, V, C, A>> : detail::map_codec<std::map<K, V, C, A>, K, V> {
  static std::string name() { return "std::map<" + detail::name_list<K, V>() + ">"; }
};
template <class K, class V, class C, class A>
struct codec<std::multimap<K, V, C, A>> : detail::map_codec<std::multimap<K, V, C, A>, K, V> {
  static std::string name() { return "std::multimap<" + detail::name_list<K, V>() + ">"; }
};
template <class K, class V, class H, class E, class A>
struct codec<std::unordered_map<K, V, H, E, A>> : detail::map_codec<std::unordered_map<K, V, H, E, A>, K, V> {
  static std::string name() { return "std::unordered_map<" + detail::name_list<K, V>() + ">"; }
};
template <class K, class V, class H, class E, class A>
struct codec<std::unordered_multimap<K, V, H, E, A>>
    : detail::map_codec<std::unordered_multimap<K, V, H, E, A>, K, V> {
  static std::string name() { return "std::unordered_multimap<" + detail::name_list<K, V>() + ">"; }
};

template <class T, std::size_t N>
struct codec<std::array<T, N>> {
  static void encode(writer& w, const std::array<T, N>& a) {
    w.array(N);
    for (const T& e : a) encode_to(w, e);
  }
  static std::array<T, N> decode(reader& r) {
    static_assert(std::is_default_constructible_v<T>, "braid::durable: std::array<T, N> needs a default-constructible T");
    r.read_array(name(), static_cast<std::int64_t>(N));
    std::array<T, N> a{};
    for (std::size_t i = 0; i < N; ++i) {
      path_scope s(r, "[" + std::to_string(i) + "]");
      a[i] = decode_from<T>(r);
    }
    return a;
  }
  static std::string name() { return "std::array<" + detail::codec_name<T>() + ", " + std::to_string(N) + ">"; }
};

template <class A, class B>
struct codec<std::pair<A, B>> {
  static void encode(writer& w, const std::pair<A, B>& p) {
    w.array(2);
    encode_to(w, p.first);
    encode_to(w, p.second);
  }
  static std::pair<A, B> decode(reader& r) {
    r.read_array(name(), 2);
    A a = [&] {
      path_scope s(r, ".first");
      return decode_from<A>(r);
    }();
    path_scope s(r, ".second");
    B b = decode_from<B>(r);
    return {std::move(a), std::move(b)};
  }
  static std::string name() { return "std::pair<" + detail::name_list<A, B>() + ">"; }
};

template <class... T>
struct codec<std::tuple<T...>> {
  static void encode(writer& w, const std::tuple<T...>& t) {
    w.array(sizeof...(T));
    std::apply([&](const T&... e) { (encode_to(w, e), ...); }, t);
  }
  static std::tuple<T...> decode(reader& r) {
    r.read_array(name(), static_cast<std::int64_t>(sizeof...(T)));
    return decode_elements(r, std::index_sequence_for<T...>{});
  }
  static std::string name() { return "std::tuple<" + detail::name_list<T...>() + ">"; }

 private:
  template <std::size_t... I>
  static std::tuple<T...> decode_elements(reader& r, std::index_sequence<I...>) {
    // Braced initialization: the elements are decoded in order.
    return std::tuple<T...>{decode_element<I, T>(r)...};
  }
  template <std::size_t I, class E>
  static E decode_element(reader& r) {
    path_scope s(r, "[" + std::to_string(I) + "]");
    return decode_from<E>(r);
  }
};

template <class T>
struct codec<std::optional<T>> {
  static constexpr bool nullable = true;
  static void encode(writer& w, const std::optional<T>& o) {
    if (!o) return w.null();
    if constexpr (detail::nullable_value<T>) w.tag(tag_some);
    encode_to(w, *o);
  }
  static std::optional<T> decode(reader& r) {
    if (r.at_null()) {
      r.read_null(name());
      return std::nullopt;
    }
    if constexpr (detail::nullable_value<T>) r.read_tag(tag_some, name());
    return std::optional<T>(decode_from<T>(r));
  }
  static std::string name() { return "std::optional<" + detail::codec_name<T>() + ">"; }
};

template <class... T>
struct codec<std::variant<T...>> {
  static void encode(writer& w, const std::variant<T...>& v) {
    if (v.valueless_by_exception())
      throw codec_error("braid: cannot encode a valueless " + name() + " (an exception interrupted its assignment)");
    w.tag(tag_variant);
    w.array(2);
    w.uint(v.index());
    std::visit([&](const auto& x) { encode_to(w, x); }, v);
  }
  static std::variant<T...> decode(reader& r) {
    r.read_tag(tag_variant, name());
    r.read_array(name(), 2);
    const auto i = r.read_uint(sizeof...(T) - 1, "the alternative index of " + name());
    return decode_alternative(r, static_cast<std::size_t>(i), std::index_sequence_for<T...>{});
  }
  static std::string name() { return "std::variant<" + detail::name_list<T...>() + ">"; }

 private:
  template <std::size_t... I>
  static std::variant<T...> decode_alternative(reader& r, std::size_t i, std::index_sequence<I...>) {
    using fn = std::variant<T...> (*)(reader&);
    static constexpr fn table[] = {&decode_one<I>...};
    path_scope s(r, "<" + std::to_string(i) + ">");
    return table[i](r);
  }
  template <std::size_t I>
  static std::variant<T...> decode_one(reader& r) {
    using E = std::variant_alternative_t<I, std::variant<T...>>;
    return std::variant<T...>(std::in_place_index<I>, decode_from<E>(r));
  }
};

template <class Rep, class Period>
struct codec<std::chrono::duration<Rep, Period>> {
  static void encode(writer& w, const std::chrono::duration<Rep, Period>& d) { encode_to(w, d.count()); }
  static std::chrono::duration<Rep, Period> decode(reader& r) {
    return std::chrono::duration<Rep, Period>(decode_from<Rep>(r));
  }
  static std::string name() { return std::string(detail::raw_type_name<std::chrono::duration<Rep, Period>>()); }
};

/// The diagnostic notation of encoded bytes (RFC 8949 section 8, with
/// braid's tags spelled out): `{"sum": 3, "items": ["a", "b"]}`,
/// `variant(1, "x")`, `some(null)`, `h'00ff'`. What braid-runs prints.
/// Malformed bytes throw codec_error (`what` names them).
std::string to_diagnostic(std::string_view bytes, std::string what = "a value");

/// The bytes of a value written in diagnostic notation (the inverse of
/// to_diagnostic): integers, floats (with a '.' or an exponent), "text"
/// (JSON escapes), h'hex', true, false, null, [..], {k: v, ..},
/// variant(i, v), some(v). How braid-runs continue reads an event's value.
/// Throws codec_error naming the offset of what it could not read.
std::string from_diagnostic(std::string_view text);

}  // namespace braid::durable
