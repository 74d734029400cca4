-- wrk script: POST /v1/transactions/<kind> with a fresh Idempotency-Key each.
-- Arguments (after --): mode ("spend" | "mix"), delay in ms after each
-- response (0: as fast as possible), number of users, the run's tag, asset,
-- the token of the client to post as.
-- Users are the bench users (bench/dataset.py): 00000000-0000-4000-8000-<n>.

local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  mode = args[1]
  delay_ms = tonumber(args[2])
  users = tonumber(args[3])
  tag = args[4] .. "-" .. thread_id
  asset = args[5]
  authorization = "Bearer " .. args[6]
  counter = 0
  math.randomseed(os.time() * 100 + thread_id)
end

function request()
  counter = counter + 1
  local kind = "spend"
  if mode == "mix" then
    local r = math.random(1, 10)
    if r > 9 then kind = "bonus" elseif r > 6 then kind = "topup" end
  end
  local body = string.format(
    '{"user_id":"00000000-0000-4000-8000-%012d","asset":"%s","amount":"1"}',
    math.random(1, users), asset)
  return wrk.format("POST", "/v1/transactions/" .. kind,
    {["Content-Type"] = "application/json", ["Idempotency-Key"] = tag .. "-" .. counter,
     ["Authorization"] = authorization}, body)
end

function delay()
  return delay_ms
end
