-- bench/chat/send.lua: each request sends one message as a member of one of the rooms.
-- setup.json (from setup.py) gives tokens and rooms; user i is in rooms i, i-1, ... (mod).
local cjson_ok, cjson = pcall(require, "cjson")
local f = io.open(os.getenv("BENCH_SETUP") or "setup.json")
local text = f:read("*a")
f:close()
local tokens, rooms = {}, {}
for t in text:match('"tokens":%s*%[(.-)%]'):gmatch('"(.-)"') do tokens[#tokens + 1] = t end
for r in text:match('"rooms":%s*%[(.-)%]'):gmatch('"(.-)"') do rooms[#rooms + 1] = r end
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  threads[#threads + 1] = thread
end
function init(args)
  thread_id = tonumber(tid) or 0
  math.randomseed(os.time() + thread_id)
end
function request()
  counter = counter + 1
  local r = (counter + thread_id * 7919) % #rooms + 1
  -- the room's owner is user (r-1) mod #tokens: they are always a member
  local u = (r - 1) % #tokens + 1
  local path = "/_matrix/client/v3/rooms/" .. rooms[r]:gsub("!", "%%21"):gsub(":", "%%3A") ..
               "/send/m.room.message/b" .. thread_id .. "_" .. counter .. "_" .. os.time()
  return wrk.format("PUT", path, {["Authorization"] = "Bearer " .. tokens[u],
                                  ["Content-Type"] = "application/json"},
                    '{"msgtype":"m.text","body":"benchmark message ' .. counter .. '"}')
end
