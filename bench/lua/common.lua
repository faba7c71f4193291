-- Shared by every scenario: count responses by status in each thread, and let done() print one
-- JSON line the harness parses (requests, duration, latency percentiles, statuses, errors).
-- Configuration comes from the environment the harness sets (BENCH_*).

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
  table.insert(threads, thread)
end

statuses = {}
stored_emails = {}
record_emails = os.getenv("BENCH_RECORD_EMAILS") == "1"

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if record_emails and status >= 200 and status < 300 then
    -- The answer names the stored address: the harness checks each one is in the database.
    local email = body:match('"email":%s*"([^"]+)"')
    table.insert(stored_emails, email or "?")
  end
end

local function json_object(map)
  local parts = {}
  for name, value in pairs(map) do
    table.insert(parts, string.format('"%s":%d', name, value))
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local totals = {}
  local emails_file = os.getenv("BENCH_EMAILS_FILE")
  local out = emails_file and io.open(emails_file, "w")
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      totals[status] = (totals[status] or 0) + count
    end
    if out then
      for _, email in ipairs(thread:get("stored_emails") or {}) do
        out:write(email, "\n")
      end
    end
  end
  if out then out:close() end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"statuses":%s,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), json_object(totals), errors.connect, errors.read, errors.write,
    errors.status, errors.timeout))
end
