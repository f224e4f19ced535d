-- wrk script: proxy requests through Squid, one line of the query file each
-- (`URL client/fqdn user method`, as gen_realistic.py writes), with the user's proxy login.
local lines = {}
local i = 0

local b64chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(data)
  return ((data:gsub(".", function(x)
    local r, b = "", x:byte()
    for k = 8, 1, -1 do r = r .. (b % 2 ^ k - b % 2 ^ (k - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for k = 1, 6 do c = c + (x:sub(k, k) == "1" and 2 ^ (6 - k) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#data % 3 + 1])
end

init = function(args)
  local file = args[1]
  local limit = tonumber(args[2] or "200000")
  for line in io.lines(file) do
    local url, _, user = line:match("^(%S+) (%S+) (%S+)")
    if url then
      local host = url:match("^https?://([^/:]+)")
      local headers = { Host = host }
      if user ~= "-" then headers["Proxy-Authorization"] = "Basic " .. base64(user .. ":x") end
      lines[#lines + 1] = wrk.format("GET", url, headers)
    end
    if #lines >= limit then break end
  end
end

request = function()
  i = i % #lines + 1
  return lines[i]
end
