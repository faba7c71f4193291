-- GET /v1/contacts/<id>, cycling through the ids listed in BENCH_IDS_FILE (one per line).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local ids = {}
for line in io.lines(os.getenv("BENCH_IDS_FILE")) do table.insert(ids, line) end
local headers = { ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY") }
local position = 0

function init(args)
  position = (thread_id or 0) * 7919  -- threads start at different ids
end

function request()
  position = position + 1
  return wrk.format("GET", "/v1/contacts/" .. ids[position % #ids + 1], headers)
end
