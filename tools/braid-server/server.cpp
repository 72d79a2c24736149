// SPDX-License-Identifier: MIT
// braid-server: the HTTP + SSE front door of durable runs (docs/server.md),
// on cpp-httplib. It owns one store, installs the dispatch function (the
// registries deliver timers and published messages through it, and it
// tells the SSE streams), and runs a registry_worker.
#include "server.hpp"

#include <braid/durable.hpp>

#include <httplib.h>

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

namespace braid::durable::server {

// ---- JSON (requests: a value tree; values: to CBOR) ---------------------------

namespace {

struct json {
  enum kind_t { null, boolean, integer, text, array, object } kind = null;
  bool b = false;
  std::int64_t i = 0;
  std::string s;
  std::vector<json> a;
  std::vector<std::pair<std::string, json>> o;

  const json* get(std::string_view k) const {
    for (const auto& [n, v] : o)
      if (n == k) return &v;
    return nullptr;
  }
};

struct bad_request : std::runtime_error {
  bad_request(int st, std::string kind, const std::string& m) : std::runtime_error(m), status(st), kind(std::move(kind)) {}
  int status;
  std::string kind;
};

class json_parser {
 public:
  explicit json_parser(std::string_view t) : t_(t) {}
  json parse() {
    json v = value(0);
    ws();
    if (p_ != t_.size()) fail("the end of the body");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& expected) {
    const std::string found = p_ < t_.size() ? "'" + std::string(1, t_[p_]) + "'" : "the end";
    throw bad_request(400, "bad-json", "malformed JSON at byte " + std::to_string(p_) + ": expected " + expected +
                                           ", found " + found);
  }
  void ws() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r')) ++p_;
  }
  bool eat(char c) {
    ws();
    if (p_ < t_.size() && t_[p_] == c) {
      ++p_;
      return true;
    }
    return false;
  }
  void word(const char* w) {
    for (const char* c = w; *c; ++c, ++p_)
      if (p_ >= t_.size() || t_[p_] != *c) fail(std::string("'") + w + "'");
  }
  std::string str() {
    if (!eat('"')) fail("a string");
    std::string out;
    for (;;) {
      if (p_ >= t_.size()) fail("the end of the string");
      const char c = t_[p_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("no control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (p_ >= t_.size()) fail("an escape");
      const char e = t_[p_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (p_ + 4 > t_.size()) fail("four hex digits");
          const unsigned cp = static_cast<unsigned>(std::stoul(std::string(t_.substr(p_, 4)), nullptr, 16));
          p_ += 4;
          if (cp < 0x80) {
            out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            out += static_cast<char>(0xc0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3f));
          } else {
            out += static_cast<char>(0xe0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
            out += static_cast<char>(0x80 | (cp & 0x3f));
          }
          break;
        }
        default: --p_; fail("an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
      }
    }
  }
  json value(int depth) {
    if (depth > 64) fail("less nesting (at most 64 levels)");
    ws();
    json v;
    if (p_ >= t_.size()) fail("a value");
    const char c = t_[p_];
    if (c == '{') {
      ++p_;
      v.kind = json::object;
      if (eat('}')) return v;
      do {
        ws();
        std::string k = str();
        if (!eat(':')) fail("':'");
        v.o.emplace_back(std::move(k), value(depth + 1));
      } while (eat(','));
      if (!eat('}')) fail("',' or '}'");
    } else if (c == '[') {
      ++p_;
      v.kind = json::array;
      if (eat(']')) return v;
      do v.a.push_back(value(depth + 1));
      while (eat(','));
      if (!eat(']')) fail("',' or ']'");
    } else if (c == '"') {
      v.kind = json::text;
      v.s = str();
    } else if (c == 't') {
      word("true");
      v.kind = json::boolean;
      v.b = true;
    } else if (c == 'f') {
      word("false");
      v.kind = json::boolean;
    } else if (c == 'n') {
      word("null");
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      const std::size_t b = p_;
      if (t_[p_] == '-') ++p_;
      while (p_ < t_.size() && t_[p_] >= '0' && t_[p_] <= '9') ++p_;
      if (p_ < t_.size() && (t_[p_] == '.' || t_[p_] == 'e' || t_[p_] == 'E'))
        fail("an integer (numbers with a fraction or an exponent are not supported)");
      if (p_ == b + (t_[b] == '-' ? 1 : 0)) fail("digits");
      v.kind = json::integer;
      try {
        v.i = std::stoll(std::string(t_.substr(b, p_ - b)));
      } catch (const std::out_of_range&) {
        p_ = b;
        fail("an integer that fits 64 bits");
      }
    } else {
      fail("a value");
    }
    return v;
  }

  std::string_view t_;
  std::size_t p_ = 0;
};

/// A JSON value as braid's CBOR: what the codecs decode (text, integers,
/// booleans, null, arrays; objects as maps with text keys).
void to_cbor(writer& w, const json& v) {
  switch (v.kind) {
    case json::null: w.null(); break;
    case json::boolean: w.boolean(v.b); break;
    case json::integer: w.sint(v.i); break;
    case json::text: w.text(v.s); break;
    case json::array:
      w.array(v.a.size());
      for (const auto& x : v.a) to_cbor(w, x);
      break;
    case json::object:
      w.map(v.o.size());
      for (const auto& [k, x] : v.o) {
        w.text(k);
        to_cbor(w, x);
      }
      break;
  }
}

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

json body_of(const httplib::Request& req) {
  json v = json_parser(req.body).parse();
  if (v.kind != json::object) throw bad_request(400, "bad-request", "the body must be a JSON object");
  return v;
}

std::string text_field(const json& o, const char* name, bool required) {
  const json* f = o.get(name);
  if (!f) {
    if (required) throw bad_request(400, "bad-request", std::string("the body has no \"") + name + "\" (a string)");
    return {};
  }
  if (f->kind != json::text) throw bad_request(400, "bad-request", std::string("\"") + name + "\" must be a string");
  return f->s;
}

int status_of(error_kind k) {
  switch (k) {
    case error_kind::unknown_run:
    case error_kind::unknown_function: return 404;
    case error_kind::wrong_context:
    case error_kind::not_waiting:
    case error_kind::conflict:
    case error_kind::version_blocked: return 409;
    case error_kind::bad_event:
    case error_kind::codec:
    case error_kind::misuse: return 400;
    default: return 500;
  }
}

void reply_error(httplib::Response& res, int status, std::string_view kind, std::string_view message) {
  res.status = status;
  res.set_content("{\"error\": " + quote(kind) + ", \"message\": " + quote(message) + "}\n", "application/json");
}

std::string run_json(const run_info& i) {
  std::string out = "{\"id\": " + to_string(i.id) + ", \"function\": " + quote(i.function) +
                    ", \"status\": " + quote(to_string(i.status)) + ", \"step\": " + std::to_string(i.step);
  if (!i.waiting_for.empty()) out += ", \"waiting_for\": " + quote(i.waiting_for);
  if (i.waiting_child) out += ", \"waiting_child\": " + to_string(*i.waiting_child);
  if (!i.result.empty()) out += ", \"result\": " + quote(to_diagnostic(i.result));
  if (!i.error.empty()) out += ", \"error\": " + quote(i.error);
  return out + "}";
}

run_id parse_id(const std::string& s) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(s, &used);
  } catch (...) {
    used = 0;
  }
  if (used != s.size() || v <= 0) throw bad_request(404, "unknown-run", "'" + s + "' is not a run id");
  return run_id(v);
}

/// Tells waiting SSE streams that a run may have new outputs.
struct changes {
  std::mutex m;
  std::condition_variable cv;
  std::uint64_t generation = 0;
  bool stopping = false;
  void bump() {
    {
      std::lock_guard<std::mutex> g(m);
      ++generation;
    }
    cv.notify_all();
  }
};

}  // namespace

int server_main(int argc, char** argv) {
  std::string store_path, host = "127.0.0.1", port_file;
  int port = 8080;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--port" || a == "--host" || a == "--port-file") && i + 1 < argc) {
      const std::string v = argv[++i];
      if (a == "--port")
        port = std::stoi(v);
      else if (a == "--host")
        host = v;
      else
        port_file = v;
    } else if (a == "--help" || a.rfind("--", 0) == 0 || !store_path.empty()) {
      std::cerr << "usage: braid-server STORE [--host H] [--port N (0: any free port)] [--port-file PATH]\n"
                   "  (docs/server.md)\n";
      return a == "--help" ? 0 : 64;
    } else {
      store_path = a;
    }
  }
  if (store_path.empty()) {
    std::cerr << "braid-server: no store given (usage: braid-server STORE [--port N])\n";
    return 64;
  }
  sqlite_store st(store_path);
  changes ch;

  install_dispatch([&ch](store& s, run_id id, const event& ev) {
    const delivery d = continue_dispatch(s, id, ev);
    if (d == delivery::delivered) ch.bump();
    return d;
  });
  registry_worker worker(st);
  worker.start();

  httplib::Server http;
  const auto guarded = [](auto&& f) {
    return [f](const httplib::Request& req, httplib::Response& res) {
      try {
        f(req, res);
      } catch (const bad_request& e) {
        reply_error(res, e.status, e.kind, e.what());
      } catch (const error& e) {
        reply_error(res, status_of(e.kind()), to_string(e.kind()), e.what());
      } catch (const std::exception& e) {
        reply_error(res, 500, "internal", e.what());
      }
    };
  };

  // POST /runs {"function": F, "args": [...], "key": K?, "deferred": PENDING_ID?}
  http.Post("/runs", guarded([&](const httplib::Request& req, httplib::Response& res) {
              const json b = body_of(req);
              const std::string fn = text_field(b, "function", true);
              const json* args = b.get("args");
              if (args && args->kind != json::array) throw bad_request(400, "bad-request", "\"args\" must be an array");
              const std::string key = text_field(b, "key", false);
              const std::string deferred = text_field(b, "deferred", false);
              const detail::durable_table* t = detail::find_table(fn);
              if (!t)
                throw bad_request(404, "unknown-function", "this server has no durable function '" + fn +
                                                               "' (GET /functions lists them)");
              json none;
              none.kind = json::array;
              writer w;
              to_cbor(w, args ? *args : none);
              const std::string encoded = w.take();
              // Check the arguments decode before anything is stored.
              try {
                reader r(encoded, "the arguments of " + fn);
                detail::decode_guard g(t->make(*t, r));
                r.expect_end();
              } catch (const codec_error& e) {
                throw bad_request(400, "bad-arguments", e.what());
              }
              if (!deferred.empty()) {
                detail::put_pending_call(st, deferred, *t, encoded);
                res.status = 202;
                res.set_content("{\"pending\": " + quote(deferred) + "}\n", "application/json");
                return;
              }
              const run_id id = detail::start(st, *t, encoded, start_options{key});
              ch.bump();
              res.status = 201;
              res.set_content(run_json(get_run(st, id)) + "\n", "application/json");
            }));

  // POST /runs/ID/events {"id": E, "context": C, "value": V}
  http.Post(R"(/runs/([^/]+)/events)", guarded([&](const httplib::Request& req, httplib::Response& res) {
              const run_id id = parse_id(req.matches[1]);
              const json b = body_of(req);
              event ev;
              ev.id = text_field(b, "id", true);
              ev.context = text_field(b, "context", true);
              const json* v = b.get("value");
              if (!v) throw bad_request(400, "bad-request", "the body has no \"value\"");
              writer w;
              to_cbor(w, *v);
              ev.payload = w.take();
              const continue_result r = continue_run(st, id, ev);
              ch.bump();
              res.set_content("{\"id\": " + to_string(id) + ", \"status\": " + quote(to_string(r.status)) +
                                  ", \"duplicate\": " + (r.duplicate ? "true" : "false") + "}\n",
                              "application/json");
            }));

  // POST /topics/T {"value": V}
  http.Post(R"(/topics/([^/]+))", guarded([&](const httplib::Request& req, httplib::Response& res) {
              const json b = body_of(req);
              const json* v = b.get("value");
              if (!v) throw bad_request(400, "bad-request", "the body has no \"value\"");
              writer w;
              to_cbor(w, *v);
              const std::size_t n = publish_encoded(st, std::string(req.matches[1]), w.take());
              res.set_content("{\"targeted\": " + std::to_string(n) + "}\n", "application/json");
            }));

  http.Get(R"(/runs/([^/]+))", guarded([&](const httplib::Request& req, httplib::Response& res) {
             res.set_content(run_json(get_run(st, parse_id(req.matches[1]))) + "\n", "application/json");
           }));

  http.Get("/functions", guarded([&](const httplib::Request&, httplib::Response& res) {
             std::string out = "[";
             for (const auto* t : detail::registered_tables()) out += (out.size() > 1 ? ", " : "") + quote(t->function);
             res.set_content(out + "]\n", "application/json");
           }));

  // SSE: the run's outputs after Last-Event-ID (each "id: SEQ", "data:
  // VALUE" in diagnostic notation), then "event: end" once it has ended.
  const auto stream = [&](httplib::Response& res, run_id id, std::uint64_t after, bool announce) {
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream", [&, id, after, announce, sent = after, said = false](std::size_t, httplib::DataSink& sink) mutable {
          if (announce && !said) {
            const std::string hello = "event: run\ndata: " + to_string(id) + "\n\n";
            if (!sink.write(hello.data(), hello.size())) return false;
            said = true;
          }
          std::uint64_t gen;
          {
            std::lock_guard<std::mutex> g(ch.m);
            gen = ch.generation;
          }
          for (const auto& o : get_outputs(st, id, sent)) {
            const std::string e = "id: " + std::to_string(o.seq) + "\ndata: " + to_diagnostic(o.value) + "\n\n";
            if (!sink.write(e.data(), e.size())) return false;
            sent = o.seq;
          }
          const run_info i = get_run(st, id);
          if (has_ended(i.status)) {
            const std::string e = "event: end\ndata: " + run_json(i) + "\n\n";
            sink.write(e.data(), e.size());
            sink.done();
            return true;
          }
          // Wait for a change; every 15 s a comment line (a closed
          // connection is seen when it fails).
          std::unique_lock<std::mutex> g(ch.m);
          if (!ch.cv.wait_for(g, std::chrono::seconds(15), [&] { return ch.generation != gen || ch.stopping; })) {
            g.unlock();
            return sink.write(": keep-alive\n\n", 14);
          }
          return !ch.stopping;
        });
  };

  http.Get(R"(/runs/([^/]+)/outputs)", guarded([&](const httplib::Request& req, httplib::Response& res) {
             const run_id id = parse_id(req.matches[1]);
             get_run(st, id);  // 404 before the stream starts
             std::uint64_t after = 0;
             if (req.has_header("Last-Event-ID")) after = std::stoull(req.get_header_value("Last-Event-ID"));
             stream(res, id, after, false);
           }));

  // The first connection pops the pending baton (starts the run).
  http.Get(R"(/pending/([^/]+)/outputs)", guarded([&](const httplib::Request& req, httplib::Response& res) {
             const auto id = pop_pending(st, std::string(req.matches[1]));
             if (!id)
               throw bad_request(404, "unknown-pending", "nothing is pending as '" + std::string(req.matches[1]) + "'");
             ch.bump();
             std::uint64_t after = 0;
             if (req.has_header("Last-Event-ID")) after = std::stoull(req.get_header_value("Last-Event-ID"));
             stream(res, *id, after, true);
           }));

  const int bound = port == 0 ? http.bind_to_any_port(host) : (http.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    std::cerr << "braid-server: cannot listen on " << host << ":" << port << "\n";
    return 1;
  }
  if (!port_file.empty()) {
    const std::string tmp = port_file + ".tmp";
    std::ofstream(tmp) << bound << "\n";
    std::rename(tmp.c_str(), port_file.c_str());
  }
  std::cerr << "braid-server: " << st.describe() << " on http://" << host << ":" << bound << "\n";
  http.listen_after_bind();
  worker.stop();
  return 0;
}

}  // namespace braid::durable::server
