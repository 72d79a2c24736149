// SPDX-License-Identifier: MIT
// The durable engine: runs one step of a run (a stack of frames, deflow's
// runlet) from a start, an event, a child's end or a cancellation to the
// next listen or wait_for, and turns it into one step_record. [design.6]
// docs/durable.md "Steps".
#include "engine.hpp"

#include <braid/detail/frame_table.hpp>
#include <braid/durable/runs.hpp>

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <typeinfo>

namespace braid::durable::detail {

namespace {
thread_local engine* t_current = nullptr;

std::string demangle(const char* name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> d(abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  return status == 0 && d ? std::string(d.get()) : std::string(name);
}

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// A map of text keys to the spans of their values.
std::vector<frame_reader::entry> scan_map(reader& r, std::string_view type) {
  std::vector<frame_reader::entry> out;
  const std::int64_t n = r.read_map(type);
  for (std::int64_t i = 0; n < 0 ? r.more_entries() : i < n; ++i) {
    std::string name = r.read_text(std::string("a name in ") + std::string(type));
    for (const auto& e : out)
      if (e.name == name) r.fail(std::string("distinct names in ") + std::string(type), "a second " + quoted(name));
    const std::size_t b = r.position();
    {
      path_scope s(r, "." + name);
      r.skip();
    }
    out.push_back({std::move(name), b, r.position(), false});
  }
  return out;
}

const frame_reader::entry* lookup(const std::vector<frame_reader::entry>& m, std::string_view name) {
  for (const auto& e : m)
    if (e.name == name) return &e;
  return nullptr;
}

const frame_reader::entry& require(reader& r, const std::vector<frame_reader::entry>& m, std::string_view name,
                                   std::string_view type) {
  if (const auto* e = lookup(m, name)) return *e;
  r.fail("a " + quoted(name) + " entry in " + std::string(type), "none");
}

}  // namespace

engine* current_engine() noexcept { return t_current; }

engine& current_engine_or_throw(const char* what) {
  if (!t_current)
    throw error(error_kind::misuse, std::string("braid: ") + what +
                                        " was called outside a durable step; it is for the body of a "
                                        "BRAID_DURABLE function");
  return *t_current;
}

// ---- frames ---------------------------------------------------------------

void destroy_frame(durable_core* f) noexcept {
  if (!f) return;
  f->table().unwind(f, -1);
  delete f;
}

engine::engine(store& st, run_id id, bool cancelling) : st_(st), id_(id), cancelling_(cancelling) {}

engine::~engine() {
  // At rest the frames were encoded: their in-memory copies go (their
  // kept locals' destructors run; the values live on in the store).
  for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) destroy_frame(*it);
}

void engine::push(durable_core* f) {
  f->engine_ = this;
  stack_.push_back(f);
}

durable_core& engine::top() { return *stack_.back(); }

const resume_site* engine::site_of(const durable_core& f) {
  return f.table_->parts[f.state_].resumes;
}

void engine::set_state(durable_core& f, std::int32_t k) { f.state_ = k; }

step engine::run_frame(durable_core* f, std::exception_ptr& err) {
  const durable_table& t = *f->table_;
  for (;;) {
    step s{0};
    std::exception_ptr e;
    try {
      s = t.parts[f->state_].fn(f);
    } catch (...) {
      e = std::current_exception();
    }
    if (abort_) return aborted;
    if (e) {
      const std::int32_t r = t.parts[f->state_].region;
      t.unwind(f, r);
      if (r < 0) {
        f->raised_ = nullptr;
        err = std::move(e);
        return braid::detail::branch_failed;
      }
      f->raised_ = std::move(e);
      f->state_ = t.regions[r].handler;
      continue;
    }
    if (s.k >= 0) {
      f->state_ = s.k;
      continue;
    }
    if (s == braid::detail::finished) {
      t.unwind(f, -1);  // `return v;`: the locals die after v was made
      f->raised_ = nullptr;
    }
    return s;
  }
}

void engine::set_failure(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const braid::cancelled& c) {
    end_ = end::cancelled;
    error_ = c.what();
    error_type_ = "braid::cancelled";
  } catch (const std::exception& x) {
    end_ = end::failed;
    error_ = x.what();
    error_type_ = demangle(typeid(x).name());
  } catch (...) {
    end_ = end::failed;
    const std::type_info* ti = abi::__cxa_current_exception_type();
    error_type_ = ti ? demangle(ti->name()) : "?";
    error_ = "an exception of type " + error_type_ + " (not a std::exception)";
  }
}

void engine::run() {
  struct current {
    engine* prev;
    explicit current(engine* e) : prev(t_current) { t_current = e; }
    ~current() { t_current = prev; }
  } cur(this);
  for (;;) {
    durable_core* f = stack_.back();
    std::exception_ptr err;
    const step s = run_frame(f, err);
    if (s == aborted) std::rethrow_exception(abort_);
    if (s == listening || s == waiting_child || s == calling) {
      // The frame is now at the partition it continues at: its table must
      // say what it waits for there (a table written by hand, or by a
      // braidc with a bug, may not).
      const resume_kind want = s == listening       ? resume_kind::listen
                               : s == waiting_child ? resume_kind::wait_for
                                                    : resume_kind::call;
      const resume_site* site = site_of(*f);
      if (!site || site->kind != want)
        throw error(error_kind::misuse,
                    std::string("braid: the frame of '") + f->table_->function + "' suspends at a " +
                        (want == resume_kind::listen ? "listen" : want == resume_kind::call ? "durable call" : "wait_for") +
                        " continuing at '" + f->table_->parts[f->state_].name +
                        "', but that partition's table entry has no matching resume site (a malformed frame table); "
                        "nothing was stored");
    }
    if (s == listening) {
      end_ = end::listen;
      return;
    }
    if (s == waiting_child) {
      end_ = end::child;
      return;
    }
    if (s == calling) continue;  // the callee is on top now, at its partition 0
    if (s != braid::detail::finished && s != braid::detail::branch_failed)
      throw error(error_kind::misuse, std::string("braid: partition '") + f->table_->parts[f->state_].name +
                                          "' returned step " + std::to_string(s.k) +
                                          ", which a durable partition cannot return; nothing was stored");
    // The frame returned or failed: pop it, and hand its outcome down.
    stack_.pop_back();
    std::unique_ptr<durable_core, void (*)(durable_core*)> gone(f, [](durable_core* p) { destroy_frame(p); });
    if (stack_.empty()) {
      if (s == braid::detail::finished) {
        writer w;
        try {
          f->encode_result(w);
        } catch (const std::exception& x) {
          throw error(error_kind::codec, "braid: run " + to_string(id_) + " returned a " + f->table_->result_type() +
                                             " that cannot be encoded: " + x.what() + "; nothing was stored");
        }
        result_ = w.take();
        end_ = end::complete;
      } else {
        set_failure(err);
      }
      return;
    }
    durable_core* below = stack_.back();
    const resume_site* site = site_of(*below);
    if (!site || site->kind != resume_kind::call)
      throw error(error_kind::corrupt, "braid: run " + to_string(id_) + ": frame " +
                                           quoted(below->table_->parts[below->state_].name) +
                                           " is not stored at a durable call, but a frame was stacked on it");
    if (s == braid::detail::finished) {
      if (site->type_id != f->result_id_)
        throw error(error_kind::corrupt, "braid: run " + to_string(id_) + ": " + quoted(f->table_->function) +
                                             " returns " + f->table_->result_type() + " but " +
                                             quoted(below->table_->parts[below->state_].name) + " waits for " +
                                             site->type_name());
      f->deliver_result(site->slot(below));
    } else {
      site->put_error(below, err);
    }
  }
}

void engine::encode_frame(writer& w, durable_core& f) {
  const durable_table& t = *f.table_;
  const durable_partition_info& p = t.parts[f.state_];
  frame_writer fw;
  fw.params_.begin_map();
  fw.locals_.begin_map();
  try {
    t.encode(&f, fw);
  } catch (const std::exception& x) {
    throw error(error_kind::codec, "braid: cannot store run " + to_string(id_) + " at " + quoted(p.name) + " (" +
                                       p.file + ":" + std::to_string(p.line) + "): " + x.what() +
                                       "; nothing was stored");
  }
  fw.params_.end();
  fw.locals_.end();
  w.begin_map();
  w.text("function");
  w.text(t.function);
  w.text("partition");
  w.text(p.name);
  w.text("hash");
  w.uint(p.hash);
  w.text("file");
  w.text(p.file);
  w.text("line");
  w.uint(p.line);
  w.text("col");
  w.uint(p.col);
  w.text("params");
  w.raw(fw.params_.data());
  w.text("locals");
  w.raw(fw.locals_.data());
  w.end();
}

std::string engine::encode_stack() {
  writer w;
  w.begin_map();
  w.text("format");
  w.uint(1);
  w.text("frames");
  w.array(stack_.size());
  for (durable_core* f : stack_) encode_frame(w, *f);
  w.end();
  return w.take();
}

step_record engine::record() {
  step_record r;
  r.id = id_;
  switch (end_) {
    case end::listen:
      r.status = run_status::waiting;
      r.stack = encode_stack();
      r.waiting_for = context_;
      r.event_type = site_of(top())->type_name();
      break;
    case end::child:
      r.status = run_status::waiting;
      r.stack = encode_stack();
      r.waiting_child = child_;
      break;
    case end::complete:
      r.status = run_status::complete;
      r.result = result_;
      break;
    case end::failed:
      r.status = run_status::failed;
      r.error = error_;
      r.error_type = error_type_;
      break;
    case end::cancelled:
      r.status = run_status::cancelled;
      r.error = error_;
      r.error_type = error_type_;
      break;
    case end::none:
      throw error(error_kind::misuse, "braid: internal error: a durable step was recorded before it ran");
  }
  r.outputs = outputs_;
  r.index = index_;
  r.children = children_;
  r.timers = timers_;
  r.timer_cancels = timer_cancels_;
  r.subscriptions = subscriptions_;
  return r;
}

// ---- the stored stack -------------------------------------------------------

std::vector<stored_frame> parse_stack(std::string_view bytes, run_id id) {
  std::vector<stored_frame> out;
  try {
    reader r(bytes, "the stored stack of run " + to_string(id));
    const auto top = scan_map(r, "a stored stack");
    r.expect_end();
    const auto& fmt = require(r, top, "format", "a stored stack");
    const std::uint64_t v = r.within(fmt.begin, fmt.end, [&] { return r.read_uint(UINT64_MAX, "the format"); });
    if (v != 1)
      r.fail("stack format 1", "format " + std::to_string(v) + " (stored by a newer braid?)");
    const auto& frames = require(r, top, "frames", "a stored stack");
    r.within(frames.begin, frames.end, [&] {
      const std::uint64_t n = r.read_array("the frames");
      if (n == 0) r.fail("at least one frame", "none");
      for (std::uint64_t i = 0; i < n; ++i) {
        path_scope ps(r, ".frames[" + std::to_string(i) + "]");
        stored_frame f;
        const auto m = scan_map(r, "a stored frame");
        const auto text = [&](const char* k) {
          const auto& e = require(r, m, k, "a stored frame");
          path_scope s(r, std::string(".") + k);
          return r.within(e.begin, e.end, [&] { return r.read_text(k); });
        };
        const auto number = [&](const char* k, std::uint64_t hi) {
          const auto& e = require(r, m, k, "a stored frame");
          path_scope s(r, std::string(".") + k);
          return r.within(e.begin, e.end, [&] { return r.read_uint(hi, k); });
        };
        f.function = text("function");
        f.partition = text("partition");
        f.hash = number("hash", UINT64_MAX);
        f.file = text("file");
        f.line = static_cast<std::uint32_t>(number("line", UINT32_MAX));
        f.col = static_cast<std::uint32_t>(number("col", UINT32_MAX));
        for (const char* k : {"params", "locals"}) {
          const auto& e = require(r, m, k, "a stored frame");
          path_scope s(r, std::string(".") + k);
          auto entries = r.within(e.begin, e.end, [&] { return scan_map(r, k); });
          (k[0] == 'p' ? f.params : f.locals) = std::move(entries);
        }
        out.push_back(std::move(f));
      }
    });
  } catch (const codec_error& e) {
    throw error(error_kind::corrupt, std::string(e.what()) + " (a corrupt row: the run was left as it was)");
  }
  return out;
}

std::optional<std::string> check_versions(const std::vector<stored_frame>& frames, run_id id,
                                          std::vector<const durable_table*>& tables,
                                          std::vector<std::int32_t>& states) {
  std::string why;
  tables.clear();
  states.clear();
  for (const auto& f : frames) {
    const durable_table* t = find_table(f.function);
    if (!t)
      throw error(error_kind::unknown_function,
                  "braid: run " + to_string(id) + " has a frame of " + quoted(f.function) +
                      ", a durable function this program does not contain (not linked in, or renamed); "
                      "continue it with a program that has it, or cancel it with cancel_mode::kill (braid-runs cancel --kill)");
    std::int32_t k = -1;
    for (std::uint32_t i = 0; i < t->nparts; ++i)
      if (f.partition == t->parts[i].name) k = static_cast<std::int32_t>(i);
    std::string problem;
    if (k < 0) {
      problem = "partition " + quoted(f.partition) + " (stored at " + f.file + ":" + std::to_string(f.line) +
                ") no longer exists in this program's " + quoted(f.function) + " (it has " +
                std::to_string(t->nparts) + " partitions)";
    } else if (!t->parts[k].resumes) {
      problem = "partition " + quoted(f.partition) + " is no longer a point a run can be stored at";
    } else if (t->parts[k].hash != f.hash) {
      problem = "partition " + quoted(f.partition) + " (" + t->parts[k].file + ":" + std::to_string(t->parts[k].line) +
                ":" + std::to_string(t->parts[k].col) + ") differs from the code that stored the run (stored hash " +
                hex(f.hash) + ", this program's " + hex(t->parts[k].hash) + ")";
    }
    if (!problem.empty()) why += (why.empty() ? "" : "; ") + problem;
    tables.push_back(t);
    states.push_back(k);
  }
  if (why.empty()) return std::nullopt;
  return "braid: run " + to_string(id) + " is blocked by version: " + why +
         ". It was stored by other code: continue it with the program that stored it, or cancel it with "
         "cancel_mode::kill (braid-runs cancel --kill)";
}

std::string encode_call(const durable_table& t, std::string_view args) {
  writer w;
  w.begin_map();
  w.text("function");
  w.text(t.function);
  w.text("signature");
  w.uint(t.signature_hash);
  w.text("args");
  w.raw(args);
  w.end();
  return w.take();
}

stored_call parse_call(std::string_view call, run_id id) {
  try {
    reader r(call, "the stored call of run " + to_string(id));
    const auto m = scan_map(r, "a stored call");
    r.expect_end();
    stored_call c;
    const auto& f = require(r, m, "function", "a stored call");
    c.function = r.within(f.begin, f.end, [&] { return r.read_text("function"); });
    const auto& s = require(r, m, "signature", "a stored call");
    c.signature = r.within(s.begin, s.end, [&] { return r.read_uint(UINT64_MAX, "signature"); });
    const auto& a = require(r, m, "args", "a stored call");
    c.args = std::string(call.substr(a.begin, a.end - a.begin));
    return c;
  } catch (const codec_error& e) {
    throw error(error_kind::corrupt, std::string(e.what()) + " (a corrupt row: the run was left as it was)");
  }
}

void frame_reader::finish() const {
  for (const auto* m : {&params_, &locals_})
    for (const auto& e : *m)
      if (!e.used)
        r_.fail(std::string("only the ") + (m == &params_ ? "parameters" : "kept locals") +
                    " this program's frame stores at this partition",
                "a stored " + quoted(e.name) + " it does not read");
}

const frame_reader::entry* frame_reader::find(std::vector<entry>& in, std::string_view name, bool required,
                                              const char* what) {
  for (auto& e : in)
    if (e.name == name) {
      e.used = true;
      return &e;
    }
  if (required) r_.fail(std::string("the ") + what + " " + quoted(name), "a frame without it");
  return nullptr;
}

void engine::decode_stack(std::string_view bytes, const std::vector<stored_frame>& frames,
                          const std::vector<const durable_table*>& tables, const std::vector<std::int32_t>& states) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const stored_frame& sf = frames[i];
    const durable_table& t = *tables[i];
    reader r(bytes, "frame " + quoted(sf.partition) + " of run " + to_string(id_));
    frame_reader fr(r, states[i], sf.params, sf.locals);
    durable_core* f = nullptr;
    try {
      f = t.decode(t, fr);
      decode_guard g(f);
      fr.finish();
      g.release();
    } catch (const codec_error& e) {
      throw error(error_kind::corrupt, std::string(e.what()) + " (a corrupt row, or a layout the partition hash "
                                                               "did not catch: the run was left as it was)");
    }
    f->state_ = states[i];
    push(f);
  }
}

// ---- the hooks the frame templates call ------------------------------------

bool engine_cancelling(const engine& e) noexcept { return e.cancelling_; }

void engine_rest_listen(engine& e, std::string context) { e.context_ = std::move(context); }

void engine_push_call(engine& e, const durable_table& callee, std::string_view args) {
  reader r(args, std::string("the arguments of ") + callee.function);
  durable_core* f = callee.make(callee, r);
  decode_guard g(f);
  r.expect_end();
  e.push(g.release());
}

void engine_rest_child(engine& e, run_id child) { e.child_ = child; }

step engine_abort(engine& e, std::exception_ptr why) noexcept {
  e.abort_ = std::move(why);
  return aborted;
}

child_outcome engine_child(engine& e, run_id child) {
  for (const auto& c : e.children_)
    if (c.id == child) return {};  // started by this very step: it has not run yet
  const auto r = e.st_.load(child);
  if (!r)
    throw error(error_kind::unknown_run, "braid: run " + to_string(e.id_) + " waits for child run " +
                                             to_string(child) + ", which is not in " + e.st_.describe());
  child_outcome o;
  o.status = r->status;
  o.ended = has_ended(r->status);
  o.result = r->result;
  o.error = r->error;
  o.error_type = r->error_type;
  return o;
}

std::exception_ptr child_error(run_id child, const child_outcome& o) {
  if (o.status == run_status::cancelled) return braid::cancelled_error("braid: the child run was cancelled");
  return std::make_exception_ptr(
      child_failed(child, "braid: child run " + to_string(child) + " failed: " + o.error, o.error_type));
}

// ---- calls made by a body during a step ------------------------------------

run_id start_child_run(const durable_table& t, const std::string& args) {
  engine& e = current_engine_or_throw("braid::durable::start_child");
  const run_id id = e.st_.allocate_id();
  e.children_.push_back(new_run{id, t.function, encode_call(t, args)});
  return id;
}

void emit_output(std::string encoded) {
  current_engine_or_throw("braid::durable::output").outputs_.push_back(std::move(encoded));
}

}  // namespace braid::durable::detail

namespace braid::durable {

run_id this_run() { return detail::current_engine_or_throw("braid::durable::this_run").id_; }

void set_index(std::string key, std::string value) {
  detail::current_engine_or_throw("braid::durable::set_index").index_.emplace_back(std::move(key), std::move(value));
}

void clear_index(std::string key) {
  detail::current_engine_or_throw("braid::durable::clear_index").index_.emplace_back(std::move(key), std::nullopt);
}

}  // namespace braid::durable
