-- POST a small JSON contact to BENCH_PATH with a Bearer key.
-- BENCH_EMAIL set: every request sends that one address (the upsert scenario); otherwise each request
-- sends a new address, unique per run (BENCH_TAG), thread and request: <tag>-t<thread>-<n>@bench.example.
-- The fields follow from the address, so the harness can check every stored field.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local tag = os.getenv("BENCH_TAG")
local fixed_email = os.getenv("BENCH_EMAIL")
local path = os.getenv("BENCH_PATH")
local headers = { ["Content-Type"] = "application/json" }
local key = os.getenv("BENCH_KEY")
if key then headers["Authorization"] = "Bearer " .. key end
local counter = 0

function request()
  counter = counter + 1
  local email = fixed_email or string.format("%s-t%d-%d@bench.example", tag, thread_id or 0, counter)
  local body = string.format('{"email":"%s","name":"Bench %d","source":"wrk","seq":%d}', email, counter, counter)
  return wrk.format("POST", path, headers, body)
end
