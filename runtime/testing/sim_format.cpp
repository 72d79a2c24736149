// SPDX-License-Identifier: MIT
// Printing and parsing of sim traces and schedules ([spec.sim.schedule]).
#include <braid/sim/scheduler.hpp>

#include <cctype>
#include <charconv>
#include <cstdio>

namespace braid::sim {

namespace {

std::string json_string(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          o += buf;
        } else {
          o += c;
        }
    }
  }
  return o + "\"";
}

std::string pad(std::string s, std::size_t w) {
  if (s.size() < w) s.append(w - s.size(), ' ');
  return s;
}

std::string lpad(std::string s, std::size_t w) {
  if (s.size() < w) s.insert(0, w - s.size(), ' ');
  return s;
}

}  // namespace

const char* to_string(event_kind k) noexcept {
  switch (k) {
    case event_kind::enqueue: return "enqueue";
    case event_kind::enqueue_timer: return "enqueue_timer";
    case event_kind::cancel_timer: return "cancel_timer";
    case event_kind::promote_timer: return "promote_timer";
    case event_kind::advance: return "advance";
    case event_kind::select: return "select";
    case event_kind::run: return "run";
    case event_kind::job_start: return "job_start";
    case event_kind::job_done: return "job_done";
  }
  return "?";
}

std::string to_text(const trace_event& e) {
  std::string s = lpad(std::to_string(e.time_ms), 6) + " ms  " + pad(to_string(e.kind), 14);
  const std::string id = "#" + std::to_string(e.id);
  const std::string chain = "  chain " + std::to_string(e.chain);
  switch (e.kind) {
    case event_kind::advance:
      return s + "to " + std::to_string(e.at_ms) + " ms";
    case event_kind::job_start:
      return s + id + (e.label.empty() ? "" : "  " + e.label);
    case event_kind::job_done:
      return s + id + "  " + e.label;
    case event_kind::enqueue_timer:
    case event_kind::promote_timer:
    case event_kind::cancel_timer:
      return s + pad(id, 6) + pad(e.label, 10) + "  at " + std::to_string(e.at_ms) + " ms" +
             (e.kind == event_kind::cancel_timer ? "" : chain);
    case event_kind::select: {
      std::string r;
      for (auto x : e.ready) r += (r.empty() ? "#" : " #") + std::to_string(x);
      return s + pad(id, 6) + pad(e.label, 10) + "  by " + e.decision + " among " + r;
    }
    case event_kind::enqueue:
    case event_kind::run:
      return s + pad(id, 6) + pad(e.label, 10) + "  " + pad(to_string(e.task), 5) + chain;
  }
  return s;
}

std::string to_text(const trace_log& t) {
  std::string s;
  for (auto& e : t) s += to_text(e) + "\n";
  return s;
}

std::string to_json(const trace_log& t) {
  std::string s = "[";
  bool first = true;
  for (auto& e : t) {
    s += first ? "\n  {" : ",\n  {";
    first = false;
    s += "\"time_ms\":" + std::to_string(e.time_ms) + ",\"kind\":" + json_string(to_string(e.kind)) +
         ",\"id\":" + std::to_string(e.id);
    if (e.kind != event_kind::advance && e.kind != event_kind::job_start && e.kind != event_kind::job_done)
      s += ",\"task\":" + json_string(to_string(e.task));
    if (!e.label.empty()) s += ",\"label\":" + json_string(e.label);
    if (e.kind == event_kind::advance || e.kind == event_kind::enqueue_timer ||
        e.kind == event_kind::promote_timer || e.kind == event_kind::cancel_timer)
      s += ",\"at_ms\":" + std::to_string(e.at_ms);
    if (e.chain) s += ",\"chain\":" + std::to_string(e.chain);
    if (e.kind == event_kind::select) {
      s += ",\"decision\":" + json_string(e.decision) + ",\"ready\":[";
      for (std::size_t i = 0; i < e.ready.size(); ++i) s += (i ? "," : "") + std::to_string(e.ready[i]);
      s += "]";
    }
    s += "}";
  }
  return s + (first ? "]" : "\n]");
}

std::string to_text(const decision& d) {
  switch (d.kind) {
    case decision::kind_t::fifo: return "fifo";
    case decision::kind_t::lifo: return "lifo";
    case decision::kind_t::random: return "random";
    case decision::kind_t::nth: return "nth " + std::to_string(d.n);
    case decision::kind_t::by_id: return "id " + std::to_string(d.n);
    case decision::kind_t::by_label: return "label " + d.label;
  }
  return "?";
}

std::string to_text(const schedule& s) {
  std::string o;
  for (auto& d : s) o += to_text(d) + "\n";
  return o;
}

std::string to_json(const schedule& s) {
  std::string o = "[";
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i) o += ",";
    const decision& d = s[i];
    switch (d.kind) {
      case decision::kind_t::fifo:
      case decision::kind_t::lifo:
      case decision::kind_t::random: o += json_string(to_text(d)); break;
      case decision::kind_t::nth: o += "{\"nth\":" + std::to_string(d.n) + "}"; break;
      case decision::kind_t::by_id: o += "{\"id\":" + std::to_string(d.n) + "}"; break;
      case decision::kind_t::by_label: o += "{\"label\":" + json_string(d.label) + "}"; break;
    }
  }
  return o + "]";
}

schedule parse_schedule(std::string_view text) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
      ++i;
    } else {
      std::size_t b = i;
      while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) && text[i] != ',') ++i;
      tokens.push_back(text.substr(b, i - b));
    }
  }
  auto bad = [](const std::string& what) {
    return error(error_kind::misuse, "braid::sim: parse_schedule: " + what +
                                         "; expected fifo, lifo, random, nth <index>, id <id> or label <name>");
  };
  schedule s;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    std::string_view t = tokens[k];
    auto number = [&]() -> std::uint64_t {
      if (k + 1 >= tokens.size()) throw bad("'" + std::string(t) + "' needs a number after it");
      std::string_view v = tokens[++k];
      std::uint64_t x = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
      if (ec != std::errc() || p != v.data() + v.size())
        throw bad("'" + std::string(v) + "' after '" + std::string(t) + "' is not a number");
      return x;
    };
    if (t == "fifo")
      s.push_back(decision::fifo());
    else if (t == "lifo")
      s.push_back(decision::lifo());
    else if (t == "random")
      s.push_back(decision::random());
    else if (t == "nth")
      s.push_back(decision::nth(number()));
    else if (t == "id")
      s.push_back(decision::by_id(number()));
    else if (t == "label") {
      if (k + 1 >= tokens.size()) throw bad("'label' needs a name after it");
      s.push_back(decision::by_label(std::string(tokens[++k])));
    } else {
      throw bad("unknown decision '" + std::string(t) + "'");
    }
  }
  return s;
}

schedule trace_to_schedule(const trace_log& t) {
  schedule s;
  for (auto& e : t)
    if (e.kind == event_kind::select) s.push_back(decision::by_id(e.id));
  return s;
}

schedule seed_to_schedule(std::uint64_t seed, std::size_t n) {
  schedule s;
  std::uint64_t state = seed;
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    switch (z % 3) {
      case 0: s.push_back(decision::fifo()); break;
      case 1: s.push_back(decision::lifo()); break;
      default: s.push_back(decision::random()); break;
    }
  }
  return s;
}

}  // namespace braid::sim
