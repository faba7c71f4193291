-- A browser form post with a publishable key: urlencoded, access_key in the body, Origin set.
-- Accept: application/json makes the API answer 201/200 with the contact instead of a 303 to the
-- thank-you page, so the harness can see which address was stored (the work done is the same).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local tag = os.getenv("BENCH_TAG")
local access_key = os.getenv("BENCH_KEY")
local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Origin"] = os.getenv("BENCH_ORIGIN"),
  ["Accept"] = "application/json",
}
local counter = 0

function request()
  counter = counter + 1
  local email = string.format("%s-t%d-%d@bench.example", tag, thread_id or 0, counter)
  local body = string.format("access_key=%s&email=%s&name=Bench+%d&source=form&seq=%d",
    access_key, email:gsub("@", "%%40"), counter, counter)
  return wrk.format("POST", "/v1/contacts", headers, body)
end
