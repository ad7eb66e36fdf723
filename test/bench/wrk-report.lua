-- wrk script for report → decision load: cycles through pre-generated alarm bodies (one JSON per line,
-- written by wrk-load.ts from alarm-mix.ts) and counts decided outcomes by status.
-- usage: wrk ... -s wrk-report.lua URL -- BODIES_FILE API_KEY
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  -- Threads start at different offsets so they do not send the same sequence in lockstep.
  i = (id * 7919) % #bodies
  counts = {}
  wrk.method = "POST"
  wrk.headers["content-type"] = "application/json"
  wrk.headers["x-api-key"] = args[2]
end

function request()
  i = i % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end

function response(status, headers, body)
  local key
  if status == 200 then key = body:match('"status":"(%a+)"') or "?" else key = "http_" .. status end
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do parts[#parts + 1] = string.format('"%s":%d', k, v) end
  local e = summary.errors
  io.write(string.format('WRK_RESULT {"duration_us":%d,"requests":%d,"errors":%d,"p50_us":%d,"p99_us":%d,"counts":{%s}}\n',
    summary.duration, summary.requests, e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99), table.concat(parts, ",")))
end
