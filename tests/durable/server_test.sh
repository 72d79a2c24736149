#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# braid-server driven by curl (docs/server.md): starts the server (with the
# test flows) on a free port, then checks every answer byte for byte: runs
# started directly and deferred (the first SSE connection pops the baton),
# events, status, SSE streams (a client that disconnects and reconnects with
# Last-Event-ID), a durable timer and a published message reaching a run,
# and bad input (malformed JSON, unknown run, unknown function, arguments of
# the wrong type, an event for the wrong context): 4xx with a message and
# nothing stored.
#   server_test.sh SERVER SCRATCH_DIR        exit 0: passed, 1: failed, 77: skipped
set -u
server=$1
dir=$2/server_test
rm -rf "$dir"
mkdir -p "$dir"
if ! command -v curl >/dev/null; then
  echo "SKIP: curl is not installed (tools/bootstrap installs it)"
  exit 77
fi

"$server" "$dir/runs.db" --port 0 --port-file "$dir/port" 2>"$dir/server.log" &
pid=$!
bg=()
cleanup() {
  for p in "${bg[@]}"; do kill "$p" 2>/dev/null; done
  kill "$pid" 2>/dev/null
  wait 2>/dev/null
}
trap cleanup EXIT
for _ in $(seq 200); do
  [ -s "$dir/port" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    cat "$dir/server.log"
    echo "FAIL: braid-server exited before listening"
    exit 1
  fi
  sleep 0.05
done
[ -s "$dir/port" ] || { echo "FAIL: braid-server did not listen within 10 s"; exit 1; }
base=http://127.0.0.1:$(cat "$dir/port")
store="$dir/runs.db"
fails=0

expect() {  # name expected actual
  if [ "$2" == "$3" ]; then
    echo "ok   $1"
  else
    echo "FAIL $1"
    echo "  expected: $2"
    echo "  actual:   $3"
    fails=$((fails + 1))
  fi
}
# Body (its newlines removed) and status code.
post() { curl -s -w ' %{http_code}' -X POST -H 'Content-Type: application/json' --data-binary "$2" "$base$1" | tr -d '\n'; }
get() { curl -s -w ' %{http_code}' "$base$1" | tr -d '\n'; }
# Waits (at most 10 s) until GET /runs/ID says step N: for what the
# server's registry worker does on its own (a timer, a published message).
wait_step() {
  for _ in $(seq 200); do
    case "$(get "/runs/$1")" in *"\"step\": $2"*) return 0 ;; esac
    sleep 0.05
  done
  echo "FAIL run $1 did not reach step $2 within 10 s: $(get "/runs/$1")"
  fails=$((fails + 1))
}

ann='{"id": 1, "function": "inbox(std::string)"'

# ---- a run started at once; events; status -----------------------------------
expect "start a run" "$ann, \"status\": \"waiting\", \"step\": 1, \"waiting_for\": \"in:ann\"} 201" \
  "$(post /runs '{"function": "inbox(std::string)", "args": ["ann"]}')"
expect "its status" "$ann, \"status\": \"waiting\", \"step\": 1, \"waiting_for\": \"in:ann\"} 200" "$(get /runs/1)"
expect "an event" '{"id": 1, "status": "waiting", "duplicate": false} 200' \
  "$(post /runs/1/events '{"id": "e1", "context": "in:ann", "value": "hello"}')"
expect "the same event again" '{"id": 1, "status": "waiting", "duplicate": true} 200' \
  "$(post /runs/1/events '{"id": "e1", "context": "in:ann", "value": "hello"}')"

# ---- bad input: 4xx with a message, nothing stored -------------------------------
expect "malformed JSON" '{"error": "bad-json", "message": "malformed JSON at byte 24: expected a value, found the end"} 400' \
  "$(post /runs/1/events '{"id": "e2", "context": ')"
expect "not an object" '{"error": "bad-request", "message": "the body must be a JSON object"} 400' \
  "$(post /runs/1/events '["e2"]')"
expect "an unknown run" "{\"error\": \"unknown-run\", \"message\": \"braid: no run 99 in the run store '$store' (braid-runs list <store> shows the runs there)\"} 404" \
  "$(post /runs/99/events '{"id": "e2", "context": "in:ann", "value": "x"}')"
expect "an event for the wrong context" "{\"error\": \"wrong-context\", \"message\": \"braid: run 1 listens for 'in:ann', not 'in:bob'; event 'e2' was not delivered\"} 409" \
  "$(post /runs/1/events '{"id": "e2", "context": "in:bob", "value": "x"}')"
expect "a value of the wrong type" "{\"error\": \"bad-event\", \"message\": \"braid: cannot decode the payload of event 'e2': expected a text string for std::string, found the unsigned integer 5 (run 1 listens for a std::string at 'inbox(std::string)#2'); event 'e2' was not delivered\"} 400" \
  "$(post /runs/1/events '{"id": "e2", "context": "in:ann", "value": 5}')"
expect "an unknown function" "{\"error\": \"unknown-function\", \"message\": \"this server has no durable function 'nope()' (GET /functions lists them)\"} 404" \
  "$(post /runs '{"function": "nope()", "args": []}')"
expect "arguments of the wrong type" "{\"error\": \"bad-arguments\", \"message\": \"braid: cannot decode the arguments of inbox(std::string): expected an array of 1 elements for the arguments of inbox(std::string), found an array of 2 elements\"} 400" \
  "$(post /runs '{"function": "inbox(std::string)", "args": ["a", "b"]}')"
expect "nothing was stored: run 1" "$ann, \"status\": \"waiting\", \"step\": 2, \"waiting_for\": \"in:ann\"} 200" "$(get /runs/1)"
expect "nothing was stored: no run 2" "{\"error\": \"unknown-run\", \"message\": \"braid: no run 2 in the run store '$store' (braid-runs list <store> shows the runs there)\"} 404" \
  "$(get /runs/2)"

# ---- SSE: a client that disconnects, and reconnects with Last-Event-ID ----------------
curl -sN --max-time 1 "$base/runs/1/outputs" >"$dir/first.txt"
expect "the first connection's stream (cut by the client)" $'id: 1\ndata: "hello"' "$(cat "$dir/first.txt")"
curl -sN -H 'Last-Event-ID: 1' "$base/runs/1/outputs" >"$dir/second.txt" &
second=$!
bg+=("$second")
post /runs/1/events '{"id": "e3", "context": "in:ann", "value": "world"}' >/dev/null
post /runs/1/events '{"id": "e4", "context": "in:ann", "value": "end"}' >/dev/null
wait "$second"
expect "the reconnection's stream (after event 1, to the run's end)" \
  "$(printf 'id: 2\ndata: "world"\n\nevent: end\ndata: %s, "status": "complete", "step": 4, "result": "[\\"hello\\", \\"world\\"]"}' "$ann")" \
  "$(cat "$dir/second.txt")"

# ---- deferred: the first SSE connection pops the baton; a timer; a topic -----------------
expect "start a deferred run" '{"pending": "conv-1"} 202' \
  "$(post /runs '{"function": "inbox(std::string)", "args": ["bo"], "deferred": "conv-1"}')"
expect "not started before a connection" "{\"error\": \"unknown-run\", \"message\": \"braid: no run 2 in the run store '$store' (braid-runs list <store> shows the runs there)\"} 404" \
  "$(get /runs/2)"
curl -sN "$base/pending/conv-1/outputs" >"$dir/conv.txt" &
conv=$!
bg+=("$conv")
wait_step 2 1
expect "subscribe" '{"id": 2, "status": "waiting", "duplicate": false} 200' \
  "$(post /runs/2/events '{"id": "c1", "context": "in:bo", "value": "sub news"}')"
expect "publish" '{"targeted": 1} 200' "$(post /topics/news '{"value": "extra!"}')"
wait_step 2 3
expect "a timer" '{"id": 2, "status": "waiting", "duplicate": false} 200' \
  "$(post /runs/2/events '{"id": "c2", "context": "in:bo", "value": "after 200 ring"}')"
wait_step 2 5
post /runs/2/events '{"id": "c3", "context": "in:bo", "value": "end"}' >/dev/null
wait "$conv"
expect "the deferred run's stream" \
  "$(printf 'event: run\ndata: 2\n\nid: 1\ndata: "extra!"\n\nid: 2\ndata: "ring"\n\nevent: end\ndata: {"id": 2, "function": "inbox(std::string)", "status": "complete", "step": 6, "result": "[\\"extra!\\", \\"ring\\"]"}')" \
  "$(cat "$dir/conv.txt")"
expect "a later connection streams the same run" "$(cat "$dir/conv.txt")" "$(curl -sN "$base/pending/conv-1/outputs")"
expect "nothing pending" '{"error": "unknown-pending", "message": "nothing is pending as '"'"'nope'"'"'"} 404' \
  "$(get /pending/nope/outputs)"

if [ "$fails" -ne 0 ]; then
  echo "$fails checks failed; the server's log:"
  cat "$dir/server.log"
  exit 1
fi
echo "all checks passed"
