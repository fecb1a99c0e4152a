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

request = common.cycle(common.text_requests(queries))

done = common.done
