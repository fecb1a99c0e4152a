#!/usr/bin/env bash
# The main job: dependencies, build, the emoji corpus, the model (the committed one, or trained
# if missing), its evaluation on the twitter gallery, and a demo collection of every emoji image
# (every drawing style), then the search server on it (web page and API) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
QISS=build/qiss
DATA=${QISS_DATA:-data}
MODEL=${QISS_MODEL:-models/qiss-default.qiss}
mkdir -p "$DATA"
[ -f "$DATA/emoji/manifest.jsonl" ] || $QISS corpus emoji --out "$DATA/emoji"
if [ ! -f "$MODEL" ]; then
  echo "main: no $MODEL, training it (about 85 minutes on 2 cores)"
  $QISS train --corpus "$DATA/emoji" --out "$MODEL" --config default --seed 1
fi
$QISS eval --model "$MODEL" --corpus "$DATA/emoji" --locales en,fr,de,es,ja,zh,ar,ru
# The demo collection: re-running adds only what is new. It is derived data: built with
# another model (an older checkout's), it is rebuilt.
if [ -f "$DATA/demo/model.qiss" ] && ! cmp -s "$DATA/demo/model.qiss" "$MODEL"; then
  echo "main: $DATA/demo was indexed with another model; rebuilding it"
  rm -rf "$DATA/demo"
fi
$QISS index --data "$DATA/demo" --model "$MODEL" "$DATA/emoji/manifest.jsonl"
$QISS info --data "$DATA/demo"
cat <<MSG

Try a search (any language, or an image):
  $QISS search --data $DATA/demo --text "chat qui pleure"
  $QISS search --data $DATA/demo --text "猫"
  $QISS search --data $DATA/demo --image node_modules/emoji-datasource-google/img/google/64/1f408.png
(Sentences still miss often: "rotes Herz", "avion", "chat qui pleure" and "Feuer" find their
emoji first, "un chat qui dort" cat faces, but "coeur rouge" gives an anatomical heart and
"pouce levé" a fist; docs/model-card.md says how often.)

Starting the search server (web page and JSON API, docs/api.md); Ctrl-C stops it.
MSG
exec $QISS serve --data "$DATA/demo" --host "${QISS_HOST:-127.0.0.1}" --port "${QISS_PORT:-8080}"
