-- bench/chat/fill.lua: fills the rooms through the real send API as fast as the server
-- answers: request i of a thread goes to room (i*threads + thread) mod rooms, sent by the
-- room's owner, until the thread has sent its share of BENCH_FILL_TOTAL messages; then the
-- thread stops (wrk's -d still bounds the time). setup.json comes from setup.py.
local f = io.open(os.getenv("BENCH_SETUP") or "setup.json")
local text = f:read("*a")
f:close()
local tokens, rooms = {}, {}
for t in text:match('"tokens":%s*%[(.-)%]'):gmatch('"(.-)"') do tokens[#tokens + 1] = t end
for r in text:match('"rooms":%s*%[(.-)%]'):gmatch('"(.-)"') do rooms[#rooms + 1] = r end
local total = tonumber(os.getenv("BENCH_FILL_TOTAL") or "1000000")
local n_threads = tonumber(os.getenv("BENCH_THREADS") or "2")
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  threads[#threads + 1] = thread
end
local sent, answered, share, me = 0, 0, 0, 0
function init(args)
  me = tonumber(tid) or 0
  share = math.floor(total / n_threads) + ((me < total % n_threads) and 1 or 0)
end
function request()
  local i = sent * n_threads + me
  sent = sent + 1
  local r = i % #rooms + 1
  local u = (r - 1) % #tokens + 1
  local path = "/_matrix/client/v3/rooms/" .. rooms[r]:gsub("!", "%%21"):gsub(":", "%%3A") ..
               "/send/m.room.message/fill" .. me .. "_" .. sent .. "_" .. os.time()
  return wrk.format("PUT", path, {["Authorization"] = "Bearer " .. tokens[u],
                                  ["Content-Type"] = "application/json"},
                    '{"msgtype":"m.text","body":"history message ' .. i .. ' with some words"}')
end
function response(status, headers, body)
  if status == 200 then answered = answered + 1 end
  if answered >= share then wrk.thread:stop() end
end
