-- wrk script: POST /v1/push/driver_stats with ROWS rows of JSON Lines per request, each row a new event time.
local rows = tonumber(os.getenv("ROWS") or "1")
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-ndjson"

request = function()
  local lines = {}
  for i = 1, rows do
    counter = counter + 1
    local id = (counter % 100000) + 1
    -- event times after the bench data (2024-02), one second apart per row sent.
    local t = 1709251200 + counter
    lines[i] = string.format('{"driver_id":%d,"event_timestamp":"%s","conv_rate":0.5,"avg_daily_trips":1,"acc_rate":0.5,"trips_today":1,"rating":4.5,"earnings_cents":100,"distance_km":1.5,"cancellations":0,"vehicle_type":"suv"}',
      id, os.date("!%Y-%m-%dT%H:%M:%SZ", t))
  end
  return wrk.format(nil, "/v1/push/driver_stats", nil, table.concat(lines, "\n") .. "\n")
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d requests/s=%.0f rows/s=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6), rows * summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
