-- wrk script: POST /v1/online-features for ENTITIES random drivers (1001..101000, the bench data's ids) × the 9 features of driver_stats_svc.
-- ROUTE and SET_FIELD change the path and the field naming the feature set, so the same script measures
-- Feast's feature server (ROUTE=/get-online-features SET_FIELD=feature_service).
local entities = tonumber(os.getenv("ENTITIES") or "1")
local route = os.getenv("ROUTE") or "/v1/online-features"
local set_field = os.getenv("SET_FIELD") or "feature_set"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
math.randomseed(os.time())

request = function()
  local ids = {}
  for i = 1, entities do ids[i] = tostring(math.random(1001, 101000)) end
  local body = '{"' .. set_field .. '": "driver_stats_svc", "entities": {"driver_id": [' .. table.concat(ids, ",") .. ']}}'
  return wrk.format(nil, route, nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests/s=%.0f p50_ms=%.3f p99_ms=%.3f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
