-- Text searches of six words in several languages, one after the other from a fixed list: the
-- queries whose words are also searched on their own (docs/api.md, "The words of a query";
-- bench/http/words.sh).
package.path = package.path .. ';' .. debug.getinfo(1, 'S').source:match('@(.*/)') .. '?.lua'
local common = require('common')

local queries = {
  'a cat sleeping on the sofa', 'un chat qui dort au soleil', 'eine Katze schläft auf dem Sofa',
  'un gato que duerme en casa', 'a red heart for my love', 'un cœur rouge pour mon amour',
  'ein rotes Herz für dich heute', 'a big fire in the forest', 'une fusée qui part dans l’espace',
  'ein Hund spielt mit dem Ball', 'a cup of hot coffee now', 'кошка спит на диване весь день',
}

local function urlencode(s)
  return (s:gsub('[^%w%-_%.~]', function(c) return string.format('%%%02X', string.byte(c)) end))
end

local requests = {}
for i, q in ipairs(queries) do
  requests[i] = wrk.format('GET', '/api/search?k=10&q=' .. urlencode(q))
end

request = common.cycle(requests)

done = common.done
