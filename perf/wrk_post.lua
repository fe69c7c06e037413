-- wrk script: POST the body in $BODY_FILE to $WRK_PATH (default /api/v2/alerts), counting statuses.
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.path = os.getenv("WRK_PATH") or "/api/v2/alerts"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  ok, too_many, other = 0, 0, 0
end
function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1
  elseif status == 429 then too_many = too_many + 1
  else other = other + 1 end
end
function done(summary, latency, requests)
  local o, t, x = 0, 0, 0
  for _, th in ipairs(threads) do
    o = o + th:get("ok"); t = t + th:get("too_many"); x = x + th:get("other")
  end
  -- Accepted requests per second: 429s are answers, not accepted work.
  io.write(string.format("RESULT ok_per_s=%.1f p50_ms=%.2f p99_ms=%.2f ok=%d r429=%d other=%d\n",
    o / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, o, t, x))
end
