-- "Similar images" of random stored images: GET /api/images/{id}/similar?k=10.
-- Arguments (after --): the number of images N (ids 1..N).
package.path = package.path .. ';' .. debug.getinfo(1, 'S').source:match('@(.*/)') .. '?.lua'
local common = require('common')

local n_images = 1000

function init(args)
  n_images = tonumber(args[1]) or n_images
  math.randomseed(12345)
end

function request()
  return wrk.format('GET', string.format('/api/images/%d/similar?k=10', math.random(1, n_images)))
end

done = common.done
