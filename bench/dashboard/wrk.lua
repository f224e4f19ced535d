-- wrk script for bench/dashboard/run.sh: every request carries the session cookie; with
-- PEOPLE set (space-separated ids) each request reads a random person's timeline, otherwise
-- PATH_ (default /api/overview). Prints p50/p95/p99 in milliseconds at the end.
local cookie = "charter_session=" .. os.getenv("TOKEN")
local people = {}
for id in string.gmatch(os.getenv("PEOPLE") or "", "%d+") do
  people[#people + 1] = id
end
local fixed = os.getenv("PATH_") or "/api/overview"

init = function(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

request = function()
  local path = fixed
  if #people > 0 then
    path = "/api/people/" .. people[math.random(#people)] .. "/records?reason=bench%20timeline&limit=50"
  end
  return wrk.format("GET", path, { ["Cookie"] = cookie })
end

done = function(summary, latency, requests)
  local ms = function(p) return latency:percentile(p) / 1000 end
  local e = summary.errors
  io.write(string.format("requests %d errors(status) %d errors(socket) %d (timeouts over 2 s: %d)\n",
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout, e.timeout))
  io.write(string.format("p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms  rps %.0f\n",
    ms(50), ms(95), ms(99), latency.max / 1000, summary.requests / (summary.duration / 1000000)))
end
