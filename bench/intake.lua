-- wrk script for bench/intake.py: signed webhook deliveries, each body used once.
--
-- Environment (set by bench/intake.py):
--   INTAKE_BODIES   file of "<signature> <body>" lines, one delivery each
--   INTAKE_OFFSET   first line this run uses (earlier runs used the ones before)
--   INTAKE_DELAY_MS each connection waits this long between deliveries (0: flat out),
--                   so that N connections offer about N * 1000 / delay deliveries a second
--   INTAKE_OUT      where done() writes its JSON summary
-- Every thread takes every threads-th line from its own start, so no body is sent twice.

local bodies_file = os.getenv("INTAKE_BODIES")
local offset = tonumber(os.getenv("INTAKE_OFFSET") or "0")
local delay_ms = tonumber(os.getenv("INTAKE_DELAY_MS") or "0")
local out_file = os.getenv("INTAKE_OUT")

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  lines = {}
  for line in io.lines(bodies_file) do
    table.insert(lines, line)
  end
  position = offset + id + 1
  n, bad, sent, exhausted = 0, 0, 0, 0
  statuses = {}
end

function request()
  local line = lines[position]
  if line == nil then
    exhausted = 1
    wrk.thread:stop()
    line = lines[#lines]
  end
  position = position + threads_count()
  sent = sent + 1
  local signature, body = line:match("^(%S+) (.+)$")
  return wrk.format("POST", "/webhooks/oktopost/", {
    ["Content-Type"] = "application/json",
    ["X-Oktopost-Signature"] = signature,
  }, body)
end

function threads_count()
  return tonumber(os.getenv("INTAKE_THREADS") or "1")
end

function delay()
  return delay_ms
end

function response(status, headers, body)
  n = n + 1
  if status < 200 or status > 299 then
    bad = bad + 1
  end
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local total, non2xx, used = 0, 0, 0
  local by_status = {}
  for _, thread in ipairs(threads) do
    total = total + thread:get("n")
    non2xx = non2xx + thread:get("bad")
    used = used + thread:get("sent")
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
    '{"responses": %d, "sent": %d, "non2xx": %d, "duration_us": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
      .. '"latency_us": {"p50": %d, "p99": %d, "max": %d}, "statuses": {%s}}',
    total, used, non2xx, summary.duration,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, table.concat(parts, ", ")))
  file:close()
end
