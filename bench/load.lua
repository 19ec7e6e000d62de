-- wrk script for bench/load.py: replays a prepared request mix, bounded in count.
--
-- Environment (set by bench/load.py):
--   LOAD_REQUESTS      file of "<kind> <htmx 0|1> <path>" lines, the mix in order
--   LOAD_COOKIE        Cookie header of a logged-in viewer ("sessionid=...")
--   LOAD_MAX_REQUESTS  stop each thread after this many responses (0: only -d bounds it)
--   LOAD_OUT           where done() writes its JSON summary
--
-- wrk counts only >= 400 as status errors; a 302 to the login page is a failure for a
-- logged-in user, so every non-2xx response is counted here, by status.

local requests_file = os.getenv("LOAD_REQUESTS")
local cookie = os.getenv("LOAD_COOKIE") or ""
local max_requests = tonumber(os.getenv("LOAD_MAX_REQUESTS") or "0")
local out_file = os.getenv("LOAD_OUT")

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  prepared = {}
  for line in io.lines(requests_file) do
    local kind, htmx, path = line:match("^(%S+) (%d) (.+)$")
    if path then
      local headers = {}
      if kind ~= "health" then
        headers["Cookie"] = cookie
      end
      if htmx == "1" then
        headers["HX-Request"] = "true"
      end
      table.insert(prepared, wrk.format("GET", path, headers))
    end
  end
  -- Threads start at different places in the mix.
  position = (id * 7919) % #prepared
  n = 0
  bad = 0
  statuses = {}
end

function request()
  position = position % #prepared + 1
  return prepared[position]
end

function response(status, headers, body)
  n = n + 1
  if status < 200 or status > 299 then
    bad = bad + 1
  end
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if max_requests > 0 and n >= max_requests then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local total, non2xx = 0, 0
  local by_status = {}
  for _, thread in ipairs(threads) do
    total = total + thread:get("n")
    non2xx = non2xx + thread:get("bad")
    for code, count in pairs(thread:get("statuses")) do
      by_status[code] = (by_status[code] or 0) + count
    end
  end
  local parts = {}
  for code, count in pairs(by_status) do
    table.insert(parts, string.format('"%s": %d', code, count))
  end
  local e = summary.errors
  local file = io.open(out_file, "w")
  file:write(string.format(
    '{"requests": %d, "responses": %d, "non2xx": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}, '
      .. '"statuses": {%s}}',
    summary.requests, total, non2xx, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, table.concat(parts, ", ")))
  file:close()
end
