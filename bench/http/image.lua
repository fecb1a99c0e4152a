-- Image searches: POST /api/search with a multipart upload, cycling through the PNG files given
-- as arguments (after --). Each request decodes and embeds the image on the server.
package.path = package.path .. ';' .. debug.getinfo(1, 'S').source:match('@(.*/)') .. '?.lua'
local common = require('common')

local boundary = 'qissbenchboundary7d1e'
local requests = {}

function init(args)
  for i, path in ipairs(args) do
    local f = assert(io.open(path, 'rb'))
    local bytes = f:read('*a')
    f:close()
    local body = '--' .. boundary .. '\r\n' ..
      'Content-Disposition: form-data; name="image"; filename="q.png"\r\n' ..
      'Content-Type: image/png\r\n\r\n' .. bytes .. '\r\n' ..
      '--' .. boundary .. '\r\n' ..
      'Content-Disposition: form-data; name="k"\r\n\r\n10\r\n' ..
      '--' .. boundary .. '--\r\n'
    requests[i] = wrk.format('POST', '/api/search',
      { ['Content-Type'] = 'multipart/form-data; boundary=' .. boundary }, body)
  end
  assert(#requests > 0, 'image.lua: give PNG files after --')
end

request = common.cycle(requests)

done = common.done
