// SPDX-License-Identifier: MIT
// The self-describing encoding of durable frames: a strict CBOR subset
// (definite-length strings, definite or indefinite arrays and maps, tags,
// false/true/null, float32/float64). [design.6] docs/durable.md "Codecs".
#include <braid/durable/codec.hpp>

#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace braid::durable {

std::string_view to_string(error_kind k) noexcept {
  switch (k) {
    case error_kind::codec: return "codec";
    case error_kind::store: return "store";
    case error_kind::corrupt: return "corrupt";
    case error_kind::unknown_run: return "unknown-run";
    case error_kind::unknown_function: return "unknown-function";
    case error_kind::wrong_context: return "wrong-context";
    case error_kind::not_waiting: return "not-waiting";
    case error_kind::bad_event: return "bad-event";
    case error_kind::conflict: return "conflict";
    case error_kind::version_blocked: return "version-blocked";
    case error_kind::misuse: return "misuse";
  }
  return "?";
}

namespace {

// ---- heads -------------------------------------------------------------

enum class head_status { ok, end, truncated, malformed };

struct head {
  unsigned major = 0;
  unsigned info = 0;
  std::uint64_t arg = 0;  // the count, length, value, tag number or float bits
  std::size_t size = 0;   // bytes of the head, including a float's payload
  bool indefinite = false;
};

// Reads the head at data[pos..end). Never reads past end.
head_status read_head(std::string_view data, std::size_t pos, std::size_t end, head& h) {
  if (pos >= end) return head_status::end;
  const auto b = static_cast<unsigned char>(data[pos]);
  h.major = b >> 5;
  h.info = b & 31;
  h.indefinite = false;
  if (h.info < 24) {
    h.arg = h.info;
    h.size = 1;
    return head_status::ok;
  }
  if (h.info >= 28 && h.info <= 30) return head_status::malformed;
  if (h.info == 31) {
    // Indefinite arrays and maps; the break byte (major 7). Indefinite
    // strings are valid CBOR but braid never writes them: refused.
    if (h.major != 4 && h.major != 5 && h.major != 7) return head_status::malformed;
    h.indefinite = h.major != 7;
    h.arg = 0;
    h.size = 1;
    return head_status::ok;
  }
  const std::size_t n = std::size_t{1} << (h.info - 24);  // 1, 2, 4, 8
  if (end - pos - 1 < n) return head_status::truncated;
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v << 8 | static_cast<unsigned char>(data[pos + 1 + i]);
  h.arg = v;
  h.size = 1 + n;
  return head_status::ok;
}

std::string quote(std::string_view s, std::size_t limit = std::string_view::npos);

std::string describe(std::string_view data, std::size_t pos, std::size_t end) {
  head h;
  switch (read_head(data, pos, end, h)) {
    case head_status::end: return "the end of the data";
    case head_status::truncated: return "a truncated item at offset " + std::to_string(pos);
    case head_status::malformed: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned char>(data[pos]));
      return std::string("a malformed item (byte ") + buf + " at offset " + std::to_string(pos) + ")";
    }
    case head_status::ok: break;
  }
  switch (h.major) {
    case 0: return "the unsigned integer " + std::to_string(h.arg);
    case 1:
      return "the negative integer -" +
             (h.arg == UINT64_MAX ? std::string("18446744073709551616") : std::to_string(h.arg + 1));
    case 2: return "a byte string of " + std::to_string(h.arg) + " bytes";
    case 3: {
      const std::size_t start = pos + h.size;
      if (end - start < h.arg) return "a truncated text string (" + std::to_string(h.arg) + " bytes claimed)";
      return "the text string " + quote(data.substr(start, h.arg), 40);
    }
    case 4: return h.indefinite ? "an array" : "an array of " + std::to_string(h.arg) + " elements";
    case 5: return h.indefinite ? "a map" : "a map of " + std::to_string(h.arg) + " entries";
    case 6:
      if (h.arg == tag_variant) return "a variant (tag 40000)";
      if (h.arg == tag_some) return "an engaged optional (tag 40001)";
      return "tag " + std::to_string(h.arg);
    default: break;
  }
  switch (h.info) {
    case 20: return "false";
    case 21: return "true";
    case 22: return "null";
    case 23: return "undefined";
    case 25: return "a half-precision float";
    case 26: return "a float32";
    case 27: return "a float64";
    case 31: return "a break byte";
    default: return "the simple value " + std::to_string(h.arg);
  }
}

bool valid_utf8_at(std::string_view s, std::size_t i, std::size_t& len) {
  const auto c = static_cast<unsigned char>(s[i]);
  unsigned need;
  if (c >= 0xc2 && c <= 0xdf)
    need = 1;
  else if (c >= 0xe0 && c <= 0xef)
    need = 2;
  else if (c >= 0xf0 && c <= 0xf4)
    need = 3;
  else
    return false;
  if (s.size() - i - 1 < need) return false;
  for (unsigned k = 1; k <= need; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
  len = need + 1;
  return true;
}

// A JSON-style quoted string; bytes that are not UTF-8 are written \xHH.
std::string quote(std::string_view s, std::size_t limit) {
  std::string out = "\"";
  bool cut = false;
  if (s.size() > limit) {
    s = s.substr(0, limit);
    cut = true;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    char buf[8];
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\t': out += "\\t"; continue;
      case '\r': out += "\\r"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (std::size_t len; valid_utf8_at(s, i, len)) {
      out.append(s.substr(i, len));
      i += len - 1;
    } else {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  out += cut ? "\"..." : "\"";
  return out;
}

std::string float_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

double half_to_double(std::uint16_t h) {
  const int e = (h >> 10) & 0x1f;
  const int m = h & 0x3ff;
  double v;
  if (e == 0)
    v = std::ldexp(m, -24);
  else if (e != 31)
    v = std::ldexp(m + 1024, e - 25);
  else
    v = m == 0 ? INFINITY : NAN;
  return (h & 0x8000) ? -v : v;
}

}  // namespace

// ---- writer --------------------------------------------------------------

void writer::head(unsigned major, std::uint64_t arg) {
  const auto m = static_cast<unsigned char>(major << 5);
  if (arg < 24) {
    out_.push_back(static_cast<char>(m | arg));
    return;
  }
  unsigned n;
  unsigned char info;
  if (arg <= 0xff) {
    n = 1;
    info = 24;
  } else if (arg <= 0xffff) {
    n = 2;
    info = 25;
  } else if (arg <= 0xffffffffu) {
    n = 4;
    info = 26;
  } else {
    n = 8;
    info = 27;
  }
  out_.push_back(static_cast<char>(m | info));
  for (unsigned i = n; i-- > 0;) out_.push_back(static_cast<char>(arg >> (8 * i)));
}

void writer::f32(float v) {
  const auto bits = std::bit_cast<std::uint32_t>(v);
  out_.push_back(static_cast<char>(0xfa));
  for (int i = 3; i >= 0; --i) out_.push_back(static_cast<char>(bits >> (8 * i)));
}

void writer::f64(double v) {
  const auto bits = std::bit_cast<std::uint64_t>(v);
  out_.push_back(static_cast<char>(0xfb));
  for (int i = 7; i >= 0; --i) out_.push_back(static_cast<char>(bits >> (8 * i)));
}

// ---- reader --------------------------------------------------------------

reader::reader(std::string_view data, std::string what) : data_(data), end_(data.size()), what_(std::move(what)) {}

void reader::fail(std::string_view expected, std::string_view found) const {
  std::string msg = "braid: cannot decode " + what_;
  if (!path_.empty()) {
    std::string p;
    for (const auto& s : path_) p += s;
    if (p[0] == '.') p.erase(0, 1);
    msg += " at " + p;
  }
  msg += ": expected ";
  msg += expected;
  msg += ", found ";
  msg += found.empty() ? describe_next() : std::string(found);
  throw codec_error(msg);
}

std::string reader::describe_next() const { return describe(data_, pos_, end_); }

reader::head_t reader::peek_head(std::string_view expected) const {
  head h;
  if (read_head(data_, pos_, end_, h) != head_status::ok) fail(expected);
  // A float's payload (or a one-byte simple value) is part of its head.
  return head_t{h.major, h.info, h.arg, h.size, h.indefinite};
}

std::string_view reader::take_payload(const head_t& h, std::string_view expected) {
  const std::size_t start = pos_ + h.size;
  if (end_ - start < h.arg)
    fail(expected, "a string claiming " + std::to_string(h.arg) + " bytes with " + std::to_string(end_ - start) +
                       " left (truncated or corrupt data)");
  pos_ = start + static_cast<std::size_t>(h.arg);
  return data_.substr(start, static_cast<std::size_t>(h.arg));
}

int reader::peek_major() const {
  head h;
  if (read_head(data_, pos_, end_, h) != head_status::ok) return -1;
  return static_cast<int>(h.major);
}

bool reader::at_null() const { return pos_ < end_ && static_cast<unsigned char>(data_[pos_]) == 0xf6; }

bool reader::at_tag(std::uint64_t t) const {
  head h;
  return read_head(data_, pos_, end_, h) == head_status::ok && h.major == 6 && h.arg == t;
}

bool reader::read_bool(std::string_view type) {
  if (pos_ < end_) {
    const auto b = static_cast<unsigned char>(data_[pos_]);
    if (b == 0xf4 || b == 0xf5) {
      ++pos_;
      return b == 0xf5;
    }
  }
  fail("true or false for " + std::string(type));
}

std::int64_t reader::read_int(std::int64_t lo, std::int64_t hi, std::string_view type) {
  const std::string expected =
      "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "] for " + std::string(type);
  const head_t h = peek_head(expected);
  if (h.major == 0) {
    if (h.arg > static_cast<std::uint64_t>(hi)) fail(expected);
    take_head(h);
    return static_cast<std::int64_t>(h.arg);
  }
  if (h.major == 1) {
    // value = -1 - arg; it fits when arg <= -1 - lo.
    if (h.arg > static_cast<std::uint64_t>(-(lo + 1))) fail(expected);
    take_head(h);
    return -1 - static_cast<std::int64_t>(h.arg);
  }
  fail(expected);
}

std::uint64_t reader::read_uint(std::uint64_t hi, std::string_view type) {
  const std::string expected = "an integer in [0, " + std::to_string(hi) + "] for " + std::string(type);
  const head_t h = peek_head(expected);
  if (h.major != 0 || h.arg > hi) fail(expected);
  take_head(h);
  return h.arg;
}

double reader::read_float(bool single, std::string_view type) {
  const std::string expected = std::string(single ? "a float32" : "a float64 or float32") + " for " + std::string(type);
  const head_t h = peek_head(expected);
  if (h.major != 7) fail(expected);
  if (h.info == 26) {
    take_head(h);
    return std::bit_cast<float>(static_cast<std::uint32_t>(h.arg));
  }
  if (h.info == 27) {
    const double d = std::bit_cast<double>(h.arg);
    // A float64 a float holds exactly is accepted for a float (what
    // from_diagnostic writes for "1.5").
    if (single && !std::isnan(d) && static_cast<double>(static_cast<float>(d)) != d)
      fail(expected, "the float64 " + float_text(d) + ", which a float cannot hold exactly");
    take_head(h);
    return d;
  }
  if (h.info == 25) {
    take_head(h);
    return half_to_double(static_cast<std::uint16_t>(h.arg));
  }
  fail(expected);
}

std::string reader::read_text(std::string_view type) {
  const std::string expected = "a text string for " + std::string(type);
  const head_t h = peek_head(expected);
  if (h.major != 3) fail(expected);
  return std::string(take_payload(h, expected));
}

std::string reader::read_bytes(std::string_view type) {
  const std::string expected = "a byte string for " + std::string(type);
  const head_t h = peek_head(expected);
  if (h.major != 2) fail(expected);
  return std::string(take_payload(h, expected));
}

std::uint64_t reader::read_array(std::string_view type, std::int64_t n) {
  const std::string expected = (n >= 0 ? "an array of " + std::to_string(n) + " elements" : std::string("an array")) +
                               " for " + std::string(type);
  const head_t h = peek_head(expected);
  if (h.major != 4 || h.indefinite) fail(expected);
  if (n >= 0 && h.arg != static_cast<std::uint64_t>(n)) fail(expected);
  // Every element takes at least one byte: a larger count is corrupt, and
  // must not reach a reserve().
  if (h.arg > end_ - pos_ - h.size)
    fail(expected, "an array claiming " + std::to_string(h.arg) + " elements with " +
                       std::to_string(end_ - pos_ - h.size) + " bytes left (truncated or corrupt data)");
  take_head(h);
  return h.arg;
}

std::int64_t reader::read_map(std::string_view type) {
  const std::string expected = "a map for " + std::string(type);
  const head_t h = peek_head(expected);
  if (h.major != 5) fail(expected);
  if (h.indefinite) {
    take_head(h);
    return -1;
  }
  if (h.arg > (end_ - pos_ - h.size) / 2)
    fail(expected, "a map claiming " + std::to_string(h.arg) + " entries with " +
                       std::to_string(end_ - pos_ - h.size) + " bytes left (truncated or corrupt data)");
  take_head(h);
  return static_cast<std::int64_t>(h.arg);
}

bool reader::more_entries() {
  if (pos_ < end_ && static_cast<unsigned char>(data_[pos_]) == 0xff) {
    ++pos_;
    return false;
  }
  if (pos_ >= end_) fail("another map entry or the end of the map");
  return true;
}

void reader::read_null(std::string_view type) {
  if (at_null()) {
    ++pos_;
    return;
  }
  fail("null for " + std::string(type));
}

void reader::read_tag(std::uint64_t t, std::string_view type) {
  const std::string expected = (t == tag_variant  ? std::string("a variant (tag 40000)")
                                : t == tag_some ? std::string("an engaged optional (tag 40001)")
                                                : "tag " + std::to_string(t)) +
                               " for " + std::string(type);
  const head_t h = peek_head(expected);
  if (h.major != 6 || h.arg != t) fail(expected);
  take_head(h);
}

void reader::skip() {
  // Remaining items of each open container (-1: indefinite, until a break).
  std::vector<std::int64_t> open;
  const auto item_done = [&] {
    while (!open.empty()) {
      if (open.back() < 0) return;
      if (--open.back() > 0) return;
      open.pop_back();
    }
  };
  do {
    if (!open.empty() && open.back() < 0 && pos_ < end_ && static_cast<unsigned char>(data_[pos_]) == 0xff) {
      ++pos_;
      open.pop_back();
      item_done();
      continue;
    }
    const head_t h = peek_head("an item");
    switch (h.major) {
      case 0:
      case 1:
        take_head(h);
        item_done();
        break;
      case 2:
      case 3:
        take_payload(h, "an item");
        item_done();
        break;
      case 4:
      case 5: {
        const std::uint64_t left = end_ - pos_ - h.size;
        if (!h.indefinite && (h.arg > left || (h.major == 5 && h.arg > left / 2)))
          fail("an item", "a container claiming " + std::to_string(h.arg) + " entries with " +
                              std::to_string(end_ - pos_ - h.size) + " bytes left (truncated or corrupt data)");
        const std::uint64_t n = h.major == 4 ? h.arg : h.arg * 2;
        take_head(h);
        if (h.indefinite)
          open.push_back(-1);
        else if (n == 0)
          item_done();
        else
          open.push_back(static_cast<std::int64_t>(n));
        break;
      }
      case 6:
        take_head(h);  // the tagged item completes this slot
        break;
      default:
        if (h.info == 31) fail("an item", "a break byte outside an indefinite-length array or map");
        take_head(h);
        item_done();
        break;
    }
  } while (!open.empty());
}

void reader::expect_end() {
  if (pos_ != end_) fail("the end of the data", std::to_string(end_ - pos_) + " more bytes after the value");
}

// ---- fields ---------------------------------------------------------------

fields::fields(reader& r, std::string type) : r_(&r), type_(std::move(type)) {
  const std::int64_t n = r.read_map(type_);
  for (std::int64_t i = 0; n < 0 ? r.more_entries() : i < n; ++i) {
    std::string name = r.read_text("a field name of " + type_);
    for (const auto& e : entries_)
      if (e.name == name) r.fail("distinct field names in " + type_, "a second field " + quote(name));
    const std::size_t b = r.position();
    {
      path_scope s(r, "." + name);
      r.skip();
    }
    entries_.push_back(entry{std::move(name), b, r.position(), false});
  }
}

const fields::entry* fields::find(std::string_view name, bool required) {
  for (auto& e : entries_) {
    if (e.name == name) {
      e.used = true;
      return &e;
    }
  }
  if (required) {
    std::string have;
    for (const auto& e : entries_) have += (have.empty() ? "" : ", ") + e.name;
    r_->fail("a field " + quote(name) + " in " + type_,
             "a record without it (its fields: " + (have.empty() ? std::string("none") : have) + ")");
  }
  return nullptr;
}

void fields::finish_decode() const {
  for (const auto& e : entries_)
    if (!e.used)
      r_->fail("only the fields " + type_ + " lists",
               "a field " + quote(e.name) + " it does not list (was it renamed or removed?)");
}

// ---- diagnostic notation --------------------------------------------------

namespace {

class printer {
 public:
  printer(std::string_view data, std::string what) : data_(data), what_(std::move(what)) {}

  std::string run() {
    std::string out;
    item(out, 0);
    if (pos_ != data_.size())
      fail("the end of the data", std::to_string(data_.size() - pos_) + " more bytes after the value");
    return out;
  }

 private:
  [[noreturn]] void fail(std::string_view expected, std::string found = {}) const {
    if (found.empty()) found = describe(data_, pos_, data_.size());
    throw codec_error("braid: cannot decode " + what_ + ": expected " + std::string(expected) + ", found " + found);
  }

  head next(std::string_view expected) {
    head h;
    if (read_head(data_, pos_, data_.size(), h) != head_status::ok) fail(expected);
    return h;
  }

  bool at_break() const { return pos_ < data_.size() && static_cast<unsigned char>(data_[pos_]) == 0xff; }

  void item(std::string& out, int depth) {
    if (depth > 256) fail("an item nested at most 256 deep", "deeper nesting");
    const head h = next("an item");
    const std::size_t start = pos_;
    switch (h.major) {
      case 0:
        pos_ += h.size;
        out += std::to_string(h.arg);
        return;
      case 1:
        pos_ += h.size;
        out += "-" + (h.arg == UINT64_MAX ? std::string("18446744073709551616") : std::to_string(h.arg + 1));
        return;
      case 2:
      case 3: {
        const std::size_t b = pos_ + h.size;
        if (data_.size() - b < h.arg) fail("an item", "a truncated string at offset " + std::to_string(start));
        pos_ = b + h.arg;
        const std::string_view s = data_.substr(b, h.arg);
        if (h.major == 3) {
          out += quote(s);
        } else {
          out += "h'";
          static const char* hex = "0123456789abcdef";
          for (unsigned char c : s) {
            out += hex[c >> 4];
            out += hex[c & 15];
          }
          out += "'";
        }
        return;
      }
      case 4:
      case 5: {
        pos_ += h.size;
        const bool is_map = h.major == 5;
        out += is_map ? "{" : "[";
        for (std::uint64_t i = 0; h.indefinite ? !at_break() : i < h.arg; ++i) {
          if (pos_ >= data_.size()) fail("another element or the end of the container");
          if (i) out += ", ";
          item(out, depth + 1);
          if (is_map) {
            out += ": ";
            item(out, depth + 1);
          }
        }
        if (h.indefinite) ++pos_;  // the break
        out += is_map ? "}" : "]";
        return;
      }
      case 6:
        pos_ += h.size;
        if (h.arg == tag_variant) {
          // [index, value] printed as variant(index, value)
          head a = next("[index, value] after tag 40000");
          if (a.major != 4 || a.arg != 2 || a.indefinite) fail("[index, value] after tag 40000");
          pos_ += a.size;
          out += "variant(";
          item(out, depth + 1);
          out += ", ";
          item(out, depth + 1);
          out += ")";
        } else {
          out += h.arg == tag_some ? "some(" : std::to_string(h.arg) + "(";
          item(out, depth + 1);
          out += ")";
        }
        return;
      default:
        pos_ += h.size;
        switch (h.info) {
          case 20: out += "false"; return;
          case 21: out += "true"; return;
          case 22: out += "null"; return;
          case 23: out += "undefined"; return;
          case 25: out += float_text(half_to_double(static_cast<std::uint16_t>(h.arg))); return;
          case 26: out += float_text(std::bit_cast<float>(static_cast<std::uint32_t>(h.arg))); return;
          case 27: out += float_text(std::bit_cast<double>(h.arg)); return;
          case 31: pos_ = start; fail("an item", "a break byte outside an indefinite-length array or map");
          default: out += "simple(" + std::to_string(h.arg) + ")"; return;
        }
    }
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  std::string what_;
};

class parser {
 public:
  explicit parser(std::string_view text) : s_(text) {}

  std::string run() {
    value(0);
    space();
    if (i_ != s_.size()) fail("the end of the value");
    return w_.take();
  }

 private:
  [[noreturn]] void fail(std::string_view expected) const {
    std::string found = i_ >= s_.size() ? std::string("the end of the text")
                                        : quote(s_.substr(i_, 12)) + (s_.size() - i_ > 12 ? "..." : "");
    throw codec_error("braid: cannot read the value " + quote(s_, 60) + " at offset " + std::to_string(i_) +
                      ": expected " + std::string(expected) + ", found " + found);
  }

  void space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool word(std::string_view w) {
    space();
    if (s_.substr(i_, w.size()) == w) {
      const std::size_t after = i_ + w.size();
      if (after < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[after])) || s_[after] == '_'))
        return false;
      i_ = after;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(std::string("'") + c + "'");
  }

  void value(int depth) {
    if (depth > 256) fail("a value nested at most 256 deep");
    space();
    if (i_ >= s_.size()) fail("a value");
    const char c = s_[i_];
    if (c == '"') return w_.text(string());
    if (c == '[') {
      ++i_;
      std::vector<std::string> items;
      collect(items, ']', depth, false);
      w_.array(items.size());
      for (auto& it : items) w_.raw(it);
      return;
    }
    if (c == '{') {
      ++i_;
      std::vector<std::string> items;
      collect(items, '}', depth, true);
      w_.map(items.size() / 2);
      for (auto& it : items) w_.raw(it);
      return;
    }
    if (c == 'h' && i_ + 1 < s_.size() && s_[i_ + 1] == '\'') return hex();
    if (word("true")) return w_.boolean(true);
    if (word("false")) return w_.boolean(false);
    if (word("null")) return w_.null();
    if (word("NaN")) return w_.f64(NAN);
    if (word("Infinity")) return w_.f64(INFINITY);
    if (s_.substr(i_, 9) == "-Infinity") {
      i_ += 9;
      return w_.f64(-INFINITY);
    }
    if (word("variant")) {
      expect('(');
      w_.tag(tag_variant);
      w_.array(2);
      value(depth + 1);
      expect(',');
      value(depth + 1);
      expect(')');
      return;
    }
    if (word("some")) {
      expect('(');
      w_.tag(tag_some);
      value(depth + 1);
      expect(')');
      return;
    }
    if (c == '-' || (c >= '0' && c <= '9')) return number(depth);
    fail("a value (a number, \"text\", h'hex', true, false, null, [..], {..}, variant(i, v) or some(v))");
  }

  // Items of an array or map, each encoded on its own (counts come first).
  void collect(std::vector<std::string>& items, char close, int depth, bool is_map) {
    if (eat(close)) return;
    for (;;) {
      writer saved = std::move(w_);
      w_ = writer();
      value(depth + 1);
      items.push_back(w_.take());
      if (is_map) {
        expect(':');
        w_ = writer();
        value(depth + 1);
        items.push_back(w_.take());
      }
      w_ = std::move(saved);
      if (eat(close)) return;
      if (!eat(',')) fail(std::string("',' or '") + close + "'");
    }
  }

  void number(int depth) {
    const std::size_t b = i_;
    if (s_[i_] == '-') ++i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    bool is_float = false;
    if (i_ < s_.size() && s_[i_] == '.') {
      is_float = true;
      ++i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      is_float = true;
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    const std::string_view t = s_.substr(b, i_ - b);
    if (is_float) {
      double d = 0;
      auto r = std::from_chars(t.data(), t.data() + t.size(), d);
      if (r.ec != std::errc() || r.ptr != t.data() + t.size()) {
        i_ = b;
        fail("a number");
      }
      return w_.f64(d);
    }
    if (i_ < s_.size() && s_[i_] == '(') {  // a tag: N(value)
      std::uint64_t tag = 0;
      auto r = std::from_chars(t.data(), t.data() + t.size(), tag);
      if (r.ec != std::errc() || r.ptr != t.data() + t.size()) {
        i_ = b;
        fail("a tag number");
      }
      ++i_;
      w_.tag(tag);
      value(depth + 1);
      expect(')');
      return;
    }
    const bool neg = t[0] == '-';
    std::uint64_t mag = 0;
    const std::string_view digits = neg ? t.substr(1) : t;
    if (neg && digits == "18446744073709551616") {  // -2^64, CBOR's smallest integer
      w_.raw("\x3b\xff\xff\xff\xff\xff\xff\xff\xff");
      return;
    }
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), mag);
    if (digits.empty() || r.ec != std::errc() || r.ptr != digits.data() + digits.size()) {
      i_ = b;
      fail("an integer in [-2^64, 2^64-1]");
    }
    if (!neg) return w_.uint(mag);
    if (mag == 0) return w_.uint(0);
    // -mag is encoded as major 1 with argument mag - 1.
    writer tmp;
    tmp.uint(mag - 1);
    std::string enc = tmp.take();
    enc[0] = static_cast<char>(static_cast<unsigned char>(enc[0]) | 0x20);
    w_.raw(enc);
  }

  std::string string() {
    ++i_;  // the opening quote
    std::string out;
    while (true) {
      if (i_ >= s_.size()) fail("a closing '\"'");
      const char c = s_[i_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) fail("an escape after '\\'");
      const char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'x': out += static_cast<char>(hex_digits(2)); break;
        case 'u': {
          unsigned cp = hex_digits(4);
          if (cp >= 0xd800 && cp <= 0xdbff && s_.substr(i_, 2) == "\\u") {
            i_ += 2;
            const unsigned lo = hex_digits(4);
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          utf8(out, cp);
          break;
        }
        default: --i_; fail("one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX \\xHH");
      }
    }
  }

  unsigned hex_digits(int n) {
    unsigned v = 0;
    for (int k = 0; k < n; ++k) {
      if (i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_]))) fail("a hexadecimal digit");
      const char c = s_[i_++];
      v = v * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
  }

  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | cp >> 6);
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | cp >> 12);
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | cp >> 18);
      out += static_cast<char>(0x80 | (cp >> 12 & 0x3f));
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }

  void hex() {
    i_ += 2;
    std::string out;
    while (i_ < s_.size() && s_[i_] != '\'') {
      if (s_[i_] == ' ') {
        ++i_;
        continue;
      }
      out += static_cast<char>(hex_digits(2));
    }
    if (i_ >= s_.size()) fail("a closing \"'\"");
    ++i_;
    w_.bytes(out);
  }

  std::string_view s_;
  std::size_t i_ = 0;
  writer w_;
};

}  // namespace

std::string to_diagnostic(std::string_view bytes, std::string what) { return printer(bytes, std::move(what)).run(); }

std::string from_diagnostic(std::string_view text) { return parser(text).run(); }

}  // namespace braid::durable
