-- GET one path (BENCH_PATH), with a Bearer key when BENCH_KEY is set.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

wrk.method = "GET"
wrk.path = os.getenv("BENCH_PATH")
local key = os.getenv("BENCH_KEY")
if key then wrk.headers["Authorization"] = "Bearer " .. key end
