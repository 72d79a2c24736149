// SPDX-License-Identifier: MIT
// Codecs: round trips of every built-in codec, user records through
// braid_codec, the exact bytes (a CBOR subset), the diagnostic notation, and
// the errors bad bytes get (never undefined behaviour).
#include <braid/durable/codec.hpp>
#include <braid/durable/frame.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

using namespace braid::durable;

namespace {

std::string hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string unhex(std::string_view h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}

template <class T>
T round_trip(const T& v) {
  return decode<T>(encode(v));
}

template <class T>
std::string decode_error(std::string_view bytes, std::string what = "a value") {
  try {
    (void)decode<T>(bytes, what);
  } catch (const codec_error& e) {
    CHECK(e.kind() == error_kind::codec);
    return e.what();
  }
  return "(no error)";
}

enum class fruit : std::int16_t { apple = -3, pear = 7 };
enum plain_enum { first = 1, second = 200 };

}  // namespace

// Named (not anonymous) namespaces: compilers spell anonymous ones differently
// in the type names the messages show.
namespace codec_test {

struct point {
  int x = 0;
  int y = 0;
  friend bool operator==(const point&, const point&) = default;
};
void braid_codec(fields& f, point& p) { f.field("x", p.x).field("y", p.y); }

struct account {
  std::string owner;
  std::vector<point> path;
  std::optional<std::string> note;
  int version = 1;  // added later: older values lack it
  friend bool operator==(const account&, const account&) = default;
};
void braid_codec(fields& f, account& a) {
  f.field("owner", a.owner).field("path", a.path).field("note", a.note).field_if_present("version", a.version);
}

// A type that is not default constructible: a full codec specialization.
struct celsius {
  explicit celsius(double v) : value(v) {}
  double value;
};

}  // namespace codec_test

// An aggregate with the codec braidc is to generate for it (docs/durable.md
// "The frame contract": a field function and a specialization at namespace
// scope, spelled with qualified names).
namespace codec_test {
struct span3 {
  int from;
  int to;
  std::vector<std::string> tags;
};
}  // namespace codec_test
static void __braid_fields_span3(::braid::durable::fields& f, ::codec_test::span3& v) {
  f.field("from", v.from).field("to", v.to).field("tags", v.tags);
}
template <>
struct braid::durable::codec<::codec_test::span3>
    : ::braid::durable::record_codec<::codec_test::span3, &__braid_fields_span3> {};

using codec_test::account;
using codec_test::celsius;
using codec_test::point;

template <>
struct braid::durable::codec<celsius> {
  static void encode(writer& w, const celsius& c) { w.text(std::to_string(c.value) + "C"); }
  static celsius decode(reader& r) {
    std::string s = r.read_text("celsius");
    if (s.empty() || s.back() != 'C') r.fail("a temperature like \"21.5C\" for celsius", "\"" + s + "\"");
    return celsius(std::stod(s.substr(0, s.size() - 1)));
  }
  static std::string name() { return "celsius"; }
};

TEST_SUITE("durable codec") {
  TEST_CASE("scalars round-trip at their limits") {
    CHECK(round_trip(true) == true);
    CHECK(round_trip(false) == false);
    CHECK(round_trip(std::numeric_limits<std::int8_t>::min()) == -128);
    CHECK(round_trip(std::numeric_limits<std::int8_t>::max()) == 127);
    CHECK(round_trip(std::numeric_limits<std::int64_t>::min()) == std::numeric_limits<std::int64_t>::min());
    CHECK(round_trip(std::numeric_limits<std::int64_t>::max()) == std::numeric_limits<std::int64_t>::max());
    CHECK(round_trip(std::numeric_limits<std::uint64_t>::max()) == std::numeric_limits<std::uint64_t>::max());
    CHECK(round_trip(static_cast<unsigned short>(65535)) == 65535);
    CHECK(round_trip('x') == 'x');
    CHECK(round_trip(fruit::apple) == fruit::apple);
    CHECK(round_trip(second) == second);
    CHECK(round_trip(1.25f) == 1.25f);
    CHECK(round_trip(-0.1) == -0.1);
    CHECK(std::isnan(round_trip(std::nan(""))));
    CHECK(round_trip(std::numeric_limits<double>::infinity()) == std::numeric_limits<double>::infinity());
    CHECK(round_trip(std::string("")) == "");
    const std::string odd("a\0b\xff\xfe", 5);  // NUL and bytes that are not UTF-8
    CHECK(round_trip(odd) == odd);
    const std::vector<std::byte> raw{std::byte{0}, std::byte{0xff}, std::byte{7}};
    CHECK(round_trip(raw) == raw);
    CHECK(round_trip(std::chrono::milliseconds(1500)) == std::chrono::milliseconds(1500));
  }

  TEST_CASE("containers round-trip") {
    CHECK(round_trip(std::vector<int>{1, -2, 3}) == std::vector<int>{1, -2, 3});
    CHECK(round_trip(std::deque<std::string>{"a", "bb"}) == std::deque<std::string>{"a", "bb"});
    CHECK(round_trip(std::list<double>{0.5, 2.0}) == std::list<double>{0.5, 2.0});
    CHECK(round_trip(std::set<int>{3, 1, 2}) == std::set<int>{1, 2, 3});
    CHECK(round_trip(std::multiset<int>{2, 2, 1}) == std::multiset<int>{1, 2, 2});
    CHECK(round_trip(std::unordered_set<std::string>{"x", "y"}) == std::unordered_set<std::string>{"y", "x"});
    CHECK(round_trip(std::unordered_multiset<int>{5, 5}) == std::unordered_multiset<int>{5, 5});
    const std::map<std::string, std::vector<int>> m{{"a", {1}}, {"b", {}}};
    CHECK(round_trip(m) == m);
    const std::multimap<int, std::string> mm{{1, "x"}, {1, "y"}};
    CHECK(round_trip(mm) == mm);
    const std::unordered_map<int, bool> um{{1, true}, {2, false}};
    CHECK(round_trip(um) == um);
    const std::unordered_multimap<std::string, int> umm{{"k", 1}, {"k", 2}};
    CHECK(round_trip(umm) == umm);
    CHECK(round_trip(std::array<int, 3>{7, 8, 9}) == std::array<int, 3>{7, 8, 9});
    CHECK(round_trip(std::pair<int, std::string>{4, "four"}) == std::pair<int, std::string>{4, "four"});
    const std::tuple<int, std::string, bool> t{1, "one", true};
    CHECK(round_trip(t) == t);
    CHECK(round_trip(std::tuple<>{}) == std::tuple<>{});
  }

  TEST_CASE("optionals and variants, also nested, keep every level") {
    CHECK(round_trip(std::optional<int>{}) == std::nullopt);
    CHECK(round_trip(std::optional<int>{5}) == 5);
    using oo = std::optional<std::optional<int>>;
    CHECK(round_trip(oo{}) == oo{});
    CHECK(round_trip(oo{std::optional<int>{}}) == oo{std::optional<int>{}});
    CHECK(round_trip(oo{std::optional<int>{3}}) == oo{std::optional<int>{3}});
    using v = std::variant<int, std::string, std::monostate, std::optional<int>>;
    CHECK(round_trip(v{7}) == v{7});
    CHECK(round_trip(v{std::string("s")}) == v{std::string("s")});
    CHECK(round_trip(v{std::monostate{}}) == v{std::monostate{}});
    CHECK(round_trip(v{std::optional<int>{}}) == v{std::optional<int>{}});
    // Two alternatives of one type stay apart: the index is stored.
    using twins = std::variant<int, int>;
    const twins second_int(std::in_place_index<1>, 4);
    CHECK(round_trip(second_int).index() == 1);
  }

  TEST_CASE("records through braid_codec round-trip and decode by name in any order") {
    const account a{"ann", {{1, 2}, {3, -4}}, std::string("vip"), 3};
    CHECK(round_trip(a) == a);
    // {"y": 2, "x": 1}: the stored order does not matter.
    CHECK(decode<point>(from_diagnostic(R"({"y": 2, "x": 1})")) == point{1, 2});
    // A value stored before `version` existed keeps its default.
    const account old = decode<account>(from_diagnostic(R"({"owner": "bo", "path": [], "note": null})"));
    CHECK(old.owner == "bo");
    CHECK(old.version == 1);
    CHECK(to_diagnostic(encode(a)) == R"({"owner": "ann", "path": [{"x": 1, "y": 2}, {"x": 3, "y": -4}], "note": "vip", "version": 3})");
  }

  TEST_CASE("an aggregate through the codec braidc generates for it") {
    const codec_test::span3 v{1, 9, {"a", "b"}};
    CHECK(to_diagnostic(encode(v)) == R"({"from": 1, "to": 9, "tags": ["a", "b"]})");
    const auto back = round_trip(v);
    CHECK(back.from == 1);
    CHECK(back.to == 9);
    CHECK(back.tags == std::vector<std::string>{"a", "b"});
    CHECK(codec<codec_test::span3>::name() == "codec_test::span3");
  }

  TEST_CASE("a full codec specialization for a type that is not default constructible") {
    CHECK(round_trip(std::vector<celsius>{celsius(21.5)})[0].value == 21.5);
    CHECK(decode_error<celsius>(encode(std::string("hot"))) ==
          "braid: cannot decode a value: expected a temperature like \"21.5C\" for celsius, found \"hot\"");
  }

  TEST_CASE("the bytes are CBOR (RFC 8949) with definite lengths; records are indefinite maps") {
    CHECK(hex(encode(0)) == "00");
    CHECK(hex(encode(23)) == "17");
    CHECK(hex(encode(24)) == "1818");
    CHECK(hex(encode(1000)) == "1903e8");
    CHECK(hex(encode(-1)) == "20");
    CHECK(hex(encode(-1000)) == "3903e7");
    CHECK(hex(encode(std::numeric_limits<std::int64_t>::min())) == "3b7fffffffffffffff");
    CHECK(hex(encode(std::string("a"))) == "6161");
    CHECK(hex(encode(std::vector<int>{1, 2})) == "820102");
    CHECK(hex(encode(std::map<std::string, int>{{"a", 1}})) == "a1616101");
    CHECK(hex(encode(true)) == "f5");
    CHECK(hex(encode(std::optional<int>{})) == "f6");
    CHECK(hex(encode(1.5)) == "fb3ff8000000000000");
    CHECK(hex(encode(1.5f)) == "fa3fc00000");
    CHECK(hex(encode(point{1, 2})) == "bf617801617902ff");
    CHECK(hex(encode(std::variant<int, bool>{true})) == "d99c408201f5");  // tag 40000 [1, true]
    CHECK(hex(encode(std::optional<std::optional<int>>{std::optional<int>{}})) == "d99c41f6");  // tag 40001 null
  }

  TEST_CASE("the diagnostic notation prints any stored value and reads it back") {
    using value = std::tuple<int, std::string, std::vector<std::byte>, std::optional<std::optional<int>>,
                             std::variant<int, std::string>, double, std::map<int, bool>, float>;
    const value v{-5, "tab\there \"q\" \xc3\xa9 \xff", {std::byte{0xab}, std::byte{1}}, std::optional<int>{},
                  std::string("alt"), 0.25, {{1, true}}, 2.0f};
    const std::string text = to_diagnostic(encode(v));
    CHECK(text == R"([-5, "tab\there \"q\" é \xff", h'ab01', some(null), variant(1, "alt"), 0.25, {1: true}, 2.0])");
    CHECK(decode<value>(from_diagnostic(text)) == v);
    CHECK(to_diagnostic(from_diagnostic("  [ ]  ")) == "[]");
    CHECK(to_diagnostic(from_diagnostic("-18446744073709551616")) == "-18446744073709551616");
    CHECK(to_diagnostic(from_diagnostic("[NaN, Infinity, -Infinity, 1e3]")) == "[NaN, Infinity, -Infinity, 1000.0]");
    CHECK(to_diagnostic(from_diagnostic("\"\\u00e9\\ud83d\\ude00\"")) == "\"é😀\"");
    CHECK(to_diagnostic(from_diagnostic("7(\"tagged\")")) == "7(\"tagged\")");
  }

  TEST_CASE("reading diagnostic notation names the offset of what it could not read") {
    const auto err = [](std::string_view t) {
      try {
        from_diagnostic(t);
      } catch (const codec_error& e) {
        return std::string(e.what());
      }
      return std::string("(no error)");
    };
    CHECK(err("[1, 2") == "braid: cannot read the value \"[1, 2\" at offset 5: expected ',' or ']', found the end of the text");
    CHECK(err("{\"a\" 1}") == "braid: cannot read the value \"{\\\"a\\\" 1}\" at offset 5: expected ':', found \"1}\"");
    CHECK(err("yes") == "braid: cannot read the value \"yes\" at offset 0: expected a value (a number, \"text\", "
                         "h'hex', true, false, null, [..], {..}, variant(i, v) or some(v)), found \"yes\"");
    CHECK(err("1 2") == "braid: cannot read the value \"1 2\" at offset 2: expected the end of the value, found \"2\"");
    CHECK(err("99999999999999999999") ==
          "braid: cannot read the value \"99999999999999999999\" at offset 0: expected an integer in [-2^64, 2^64-1], "
          "found \"999999999999\"...");
  }

  TEST_CASE("bytes of another type get an error naming what was expected and what was found") {
    CHECK(decode_error<int>(encode(std::string("x"))) ==
          "braid: cannot decode a value: expected an integer in [-2147483648, 2147483647] for int, found the text "
          "string \"x\"");
    CHECK(decode_error<unsigned char>(encode(300)) ==
          "braid: cannot decode a value: expected an integer in [0, 255] for unsigned char, found the unsigned "
          "integer 300");
    CHECK(decode_error<unsigned>(encode(-3)) ==
          "braid: cannot decode a value: expected an integer in [0, 4294967295] for unsigned int, found the negative "
          "integer -3");
    CHECK(decode_error<bool>(encode(1)) ==
          "braid: cannot decode a value: expected true or false for bool, found the unsigned integer 1");
    CHECK(decode_error<float>(encode(0.1)) ==
          "braid: cannot decode a value: expected a float32 for float, found the float64 0.1, which a float cannot "
          "hold exactly");
    CHECK(decode_error<std::pair<int, int>>(encode(std::vector<int>{1, 2, 3})) ==
          "braid: cannot decode a value: expected an array of 2 elements for std::pair<int, int>, found an array of "
          "3 elements");
    CHECK(decode_error<std::variant<int, bool>>(from_diagnostic("variant(2, 1)")) ==
          "braid: cannot decode a value: expected an integer in [0, 1] for the alternative index of "
          "std::variant<int, bool>, found the unsigned integer 2");
    CHECK(decode_error<std::variant<int, bool>>(encode(5)) ==
          "braid: cannot decode a value: expected a variant (tag 40000) for std::variant<int, bool>, found the "
          "unsigned integer 5");
  }

  TEST_CASE("errors inside a value say where: record fields, elements, variant alternatives") {
    const std::string bad = from_diagnostic(R"({"owner": "ann", "path": [{"x": 1, "y": 2}, {"x": "three", "y": 4}], "note": null})");
    CHECK(decode_error<account>(bad, "the payload of event 'e1'") ==
          "braid: cannot decode the payload of event 'e1' at path[1].x: expected an integer in [-2147483648, "
          "2147483647] for int, found the text string \"three\"");
    CHECK(decode_error<point>(from_diagnostic(R"({"x": 1})")) ==
          "braid: cannot decode a value: expected a field \"y\" in codec_test::point, found a record "
          "without it (its fields: x)");
    CHECK(decode_error<point>(from_diagnostic(R"({"x": 1, "y": 2, "z": 3})")) ==
          "braid: cannot decode a value: expected only the fields codec_test::point lists, found a field "
          "\"z\" it does not list (was it renamed or removed?)");
    CHECK(decode_error<point>(from_diagnostic(R"({"x": 1, "x": 2})")) ==
          "braid: cannot decode a value: expected distinct field names in codec_test::point, found a "
          "second field \"x\"");
    CHECK(decode_error<point>(encode(std::vector<int>{})) ==
          "braid: cannot decode a value: expected a map for codec_test::point, found an array of 0 "
          "elements");
    CHECK(decode_error<std::map<std::string, std::variant<int, std::string>>>(
              from_diagnostic(R"({"k": variant(1, 5)})")) ==
          "braid: cannot decode a value at {0}<1>: expected a text string for std::string, found the unsigned "
          "integer 5");
  }

  TEST_CASE("truncated, trailing, malformed and oversized data are refused before anything is allocated") {
    const std::string hello = encode(std::string("hello"));
    CHECK(decode_error<std::string>(hello.substr(0, hello.size() - 1)) ==
          "braid: cannot decode a value: expected a text string for std::string, found a string claiming 5 bytes with "
          "4 left (truncated or corrupt data)");
    CHECK(decode_error<int>(encode(1) + encode(2)) ==
          "braid: cannot decode a value: expected the end of the data, found 1 more bytes after the value");
    CHECK(decode_error<int>("") == "braid: cannot decode a value: expected an integer in [-2147483648, 2147483647] "
                                   "for int, found the end of the data");
    CHECK(decode_error<int>(unhex("1c")) ==
          "braid: cannot decode a value: expected an integer in [-2147483648, 2147483647] for int, found a malformed "
          "item (byte 0x1c at offset 0)");
    CHECK(decode_error<int>(unhex("1a0102")) ==
          "braid: cannot decode a value: expected an integer in [-2147483648, 2147483647] for int, found a truncated "
          "item at offset 0");
    // An array claiming 2^64-1 elements: refused from the count, not by
    // trying to reserve them.
    CHECK(decode_error<std::vector<int>>(unhex("9bffffffffffffffff")) ==
          "braid: cannot decode a value: expected an array for std::vector<int>, found an array claiming "
          "18446744073709551615 elements with 0 bytes left (truncated or corrupt data)");
    CHECK(decode_error<std::map<int, int>>(unhex("bb7fffffffffffffff00")) ==
          "braid: cannot decode a value: expected a map for std::map<int, int>, found a map claiming "
          "9223372036854775807 entries with 1 bytes left (truncated or corrupt data)");
    CHECK(decode_error<std::string>(unhex("7f")) ==
          "braid: cannot decode a value: expected a text string for std::string, found a malformed item (byte 0x7f "
          "at offset 0)");
  }

  TEST_CASE("deep nesting is skipped without recursion and printed up to a limit") {
    // An unknown record field holding 100,000 nested arrays: skipped
    // iteratively (no stack overflow), then reported as unknown.
    std::string deep = "bf" + hex(encode(std::string("x"))) + "01" + hex(encode(std::string("y"))) + "02" +
                       hex(encode(std::string("junk")));
    for (int i = 0; i < 100000; ++i) deep += "81";
    deep += "00ff";
    const std::string bytes = unhex(deep);
    CHECK(decode_error<std::map<std::string, int>>(bytes).find("expected an integer") != std::string::npos);
    try {
      decode<point>(bytes.substr(0, bytes.size()));
      FAIL("no error");
    } catch (const codec_error& e) {
      CHECK(std::string(e.what()).find("a field \"junk\" it does not list") != std::string::npos);
    }
    try {
      to_diagnostic(bytes);
      FAIL("no error");
    } catch (const codec_error& e) {
      CHECK(std::string(e.what()) == "braid: cannot decode a value: expected an item nested at most 256 deep, found "
                                     "deeper nesting");
    }
  }

  TEST_CASE("random bytes decode as a value or fail with codec_error, never anything else") {
    // Seeded and deterministic; under ASan+UBSan this also shows that no
    // input reads out of bounds or overflows.
    std::uint64_t x = 0x9e3779b97f4a7c15ull;
    const auto next = [&x] {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      return x;
    };
    // Mostly bytes that are heads of small items, so that some inputs go deep.
    const unsigned char common[] = {0x00, 0x01, 0x18, 0x20, 0x41, 0x61, 0x62, 0x78, 0x80, 0x81, 0x82, 0x9f,
                                    0xa1, 0xa2, 0xbf, 0xd9, 0x9c, 0x40, 0x41, 0xf4, 0xf5, 0xf6, 0xfa, 0xfb, 0xff};
    int decoded = 0, refused = 0;
    for (int i = 0; i < 20000; ++i) {
      std::string bytes;
      const std::size_t n = next() % 24;
      for (std::size_t k = 0; k < n; ++k)
        bytes += static_cast<char>(next() % 3 ? common[next() % sizeof common] : static_cast<unsigned char>(next()));
      const auto attempt = [&](auto f) {
        try {
          f();
          ++decoded;
        } catch (const codec_error&) {
          ++refused;
        }
      };
      attempt([&] { (void)decode<std::vector<std::map<std::string, std::optional<int>>>>(bytes); });
      attempt([&] { (void)decode<std::variant<point, std::string, std::tuple<bool, double>>>(bytes); });
      attempt([&] { (void)decode<account>(bytes); });
      attempt([&] { (void)decode<std::map<int, std::list<std::vector<std::byte>>>>(bytes); });
      attempt([&] { (void)to_diagnostic(bytes); });
      attempt([&] {
        reader r(bytes);
        r.skip();
      });
    }
    CHECK(decoded > 1000);
    CHECK(refused > 10000);
  }

  TEST_CASE("to_diagnostic refuses malformed bytes with the offset") {
    CHECK_THROWS_WITH_AS(to_diagnostic(unhex("8201"), "frame 'f#1'"),
                         "braid: cannot decode frame 'f#1': expected another element or the end of the container, "
                         "found the end of the data",
                         codec_error);
    CHECK_THROWS_WITH_AS(to_diagnostic(unhex("ff")), "braid: cannot decode a value: expected an item, found a break byte outside an indefinite-length array or map", codec_error);
  }
}
