-- bench/push/send.lua: each request sends one message into one of the rooms as its owner
-- (user (r-1) mod #tokens, always a member); BENCH_SETUP names setup.py's output.
local f = io.open(os.getenv("BENCH_SETUP") or "setup.json")
local text = f:read("*a")
f:close()
local tokens, rooms = {}, {}
for t in text:match('"tokens":%s*%[(.-)%]'):gmatch('"(.-)"') do tokens[#tokens + 1] = t end
for r in text:match('"rooms":%s*%[(.-)%]'):gmatch('"(.-)"') do rooms[#rooms + 1] = r end
local counter, threads = 0, {}
function setup(thread)
  thread:set("tid", #threads)
  threads[#threads + 1] = thread
end
function request()
  counter = counter + 1
  local t = tonumber(tid) or 0
  local r = (counter + t * 7919) % #rooms + 1
  local u = (r - 1) % #tokens + 1
  local path = "/_matrix/client/v3/rooms/" .. rooms[r]:gsub("!", "%%21"):gsub(":", "%%3A") ..
               "/send/m.room.message/p" .. t .. "_" .. counter .. "_" .. os.time()
  return wrk.format("PUT", path, {["Authorization"] = "Bearer " .. tokens[u],
                                  ["Content-Type"] = "application/json"},
                    '{"msgtype":"m.text","body":"benchmark message ' .. counter .. ' for p3"}')
end
