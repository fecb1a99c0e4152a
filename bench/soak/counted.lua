-- The soak's wrk script (bench/soak/soak.sh): one of bench/http's query scripts, named by the
-- environment variable SOAK_KIND (text, image or similar; its arguments after --), plus a count
-- of the answers by status: after bench/http's JSON line, a second one
-- {"status_5xx": N, "status_503": N, "status_4xx": N} (5xx without 503; 503 is the answer of the
-- connection cap). SOAK_THINK_MS (default 0): a pause of each connection between an answer and
-- its next request, for a load below saturation.
local dir = debug.getinfo(1, 'S').source:match('@(.*/)')
local kind = os.getenv('SOAK_KIND') or 'text'
dofile(dir .. '../http/' .. kind .. '.lua')

-- Per thread; done() sums them over the threads.
status_5xx, status_503, status_4xx = 0, 0, 0

function response(status, headers, body)
  if status == 503 then
    status_503 = status_503 + 1
  elseif status >= 500 then
    status_5xx = status_5xx + 1
  elseif status >= 400 then
    status_4xx = status_4xx + 1
  end
end

local think_ms = tonumber(os.getenv('SOAK_THINK_MS') or '0')
if think_ms > 0 then
  function delay()
    return think_ms
  end
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

local query_done = done
function done(summary, latency, requests)
  query_done(summary, latency, requests)
  local n = { status_5xx = 0, status_503 = 0, status_4xx = 0 }
  for _, t in ipairs(threads) do
    for k in pairs(n) do n[k] = n[k] + t:get(k) end
  end
  io.write(string.format('{"status_5xx": %d, "status_503": %d, "status_4xx": %d}\n',
    n.status_5xx, n.status_503, n.status_4xx))
end
