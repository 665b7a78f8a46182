-- wrk script: POST /v1/online-features for ENTITIES random drivers (1..100000) × the 9 features of driver_stats_svc.
local entities = tonumber(os.getenv("ENTITIES") or "1")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
math.randomseed(os.time())

request = function()
  local ids = {}
  for i = 1, entities do ids[i] = tostring(math.random(1, 100000)) end
  local body = '{"feature_set": "driver_stats_svc", "entities": {"driver_id": [' .. table.concat(ids, ",") .. ']}}'
  return wrk.format(nil, "/v1/online-features", nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests/s=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
