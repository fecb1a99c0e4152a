-- Shared by the wrk scripts: cycling through prepared requests, and one JSON line with
-- throughput and latency percentiles (microseconds) when the run ends, which
-- bench/http/run.sh collects.
local common = {}

-- Prepared GET /api/search requests (k = 10) for a list of text queries.
function common.text_requests(queries)
  local function urlencode(s)
    return (s:gsub('[^%w%-_%.~]', function(c) return string.format('%%%02X', string.byte(c)) end))
  end
  local requests = {}
  for i, q in ipairs(queries) do
    requests[i] = wrk.format('GET', '/api/search?k=10&q=' .. urlencode(q))
  end
  return requests
end

-- A wrk request() function that sends the prepared requests in turn.
function common.cycle(requests)
  local n = 0
  return function()
    n = n + 1
    return requests[(n % #requests) + 1]
  end
end

function common.done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "qps": %.1f, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f, "errors": %d, "non_2xx": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, errors, summary.errors.status))
end

return common
