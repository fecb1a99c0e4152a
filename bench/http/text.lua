-- Text searches in many languages, one after the other from a fixed list (no two consecutive
-- requests share a query, so a cache of the last query would not help).
package.path = package.path .. ';' .. debug.getinfo(1, 'S').source:match('@(.*/)') .. '?.lua'
local common = require('common')

local queries = {
  'un chat qui dort', 'Katze', 'a sleeping cat', 'red heart', 'corazón rojo', 'rotes Herz',
  'smiling face with sunglasses', 'visage souriant', 'lachendes Gesicht', 'gato', 'кошка', '猫',
  '犬', 'собака', 'dog face', 'chien', 'Hund', 'perro', 'pizza', 'birthday cake',
  'gâteau d’anniversaire', 'Geburtstagskuchen', 'flag of Japan', 'drapeau de la France',
  'Flagge Deutschland', 'bandera de España', 'thumbs up', 'pouce levé', 'Daumen hoch',
  'fire', 'feu', 'Feuer', 'fuego', 'rocket', 'fusée', 'Rakete', 'soccer ball', 'ballon de football',
  'Fußball', 'car', 'voiture', 'Auto', 'coche', 'sun', 'soleil', 'Sonne', 'sol', 'moon', 'lune',
  'Mond', 'tree', 'arbre', 'Baum', 'árbol', 'rain', 'pluie', 'Regen', 'lluvia', 'hot beverage',
  'café', 'Kaffee', 'ice cream', 'glace', 'Eis', 'helado',
}

request = common.cycle(common.text_requests(queries))

done = common.done
