#!/usr/bin/env bash
# Recipe ablation with google as the pseudo-test style (docs/model-card.md, "Model selection without the test gallery").
# Every run leaves google out of training (--exclude-vendors google) and is scored on the
# google images (qiss eval --gallery-vendor google); twitter is never read here.
#   bench/model/ablation.sh [OUT_DIR] [STEP...]     e.g. bench/model/ablation.sh out/ablation A B
# Steps (each adds to the one before):
#   A  the round-1 recipe: random locales with English first, uniform tokenizer sample,
#      coverage 0.995 without byte fallback, max_tokens 24, no text phase
#   B  A + locale-balanced sampler (no anchor locale)
#   C  B + tokenizer for every script (balanced sample, coverage 1.0, byte fallback, 48 tokens)
#   D  C + locked-image text phase (the tiny preset as shipped)
#   E  D with a text phase 5x longer (text_epoch_share 0.1)
#   F  D + drawing-style augmentations (style_augment 0.3)
#   G  D + batches of whole skin-tone families (family_batches true: hard negatives)
#   H  D + MixStyle after the first two CNN stages (mix_style 0.5)
#   I  D with a wider CNN (channels 32, 64, 128, 256 instead of 24, 48, 96, 192)
#   J  D with keyword bundles from every skin tone in the text phase (text_keywords all, the
#      behaviour before 2026-12-02: a shared word is presented once per tone)
#   K  D with a text phase of 2 epochs instead of 5 (text_epochs 2, before 2026-12-02)
#   L  D with the token embeddings learning 10x faster in the text phase
#      (text_embed_lr_scale 10: a rare word's embedding is updated a few times per epoch)
#   M  D with the token embeddings learning 30x faster in the text phase (text_embed_lr_scale 30)
#   N  D with the token embeddings learning 3x faster in the text phase (text_embed_lr_scale 3)
#   O  D with the token embeddings learning 100x faster in the text phase (text_embed_lr_scale 100)
#   P  D with the token embeddings learning 15x faster in the joint phase too (embed_lr_scale 15:
#      the text phase's peak rate for them, 30 x 1e-3, at the joint phase's lr of 2e-3)
#   Q  D with the text phase's targets the identities' mean image embeddings alone
#      (text_target mean_image, without the learned proxies)
#   R  D with the image-image term (two styles of one identity) weighted 3x (image_pair_weight 3)
#   S  D with 12 joint epochs instead of 8 (epochs 12; a --set, so it wins over EPOCHS). The
#      default preset has 12 since 2026-12-03: with PRESET=default, EPOCHS=8 gives the joint
#      phase that the model card's rows D-T were measured with.
#   T  D with a weight decay that decays (weight_decay 0.05 instead of 1e-4; AdamW, decoupled)
#   U  D + batches that hold each identity's man / woman / person variants (family_batches true,
#      family_by gender: hard negatives of the confusion an unseen style makes most)
#   V  D with 16 joint epochs (epochs 16; a --set, so it wins over EPOCHS)
#   W  D with the image-image term weighted 0.3x (image_pair_weight 0.3; R weighted it 3x)
#   X  D with the text phase's budget moved from skin-tone variants to tone-free names: each
#      tone-free identity's texts twice per text epoch, a quarter of the tone variants' texts
#      (text_base_repeat 2, text_tone_share 0.25: 42 % more text-phase steps)
#   Y  X within D's text-phase budget: a tenth of the tone variants' texts per text epoch and
#      7 text epochs instead of 5 (text_tone_share 0.1, text_epochs 7: 2 % fewer steps than D;
#      each tone-free text 7 times instead of 5)
#   Z  D with the text phase's peak learning rate 3x (text_lr 3e-3; the token embeddings keep
#      their 30x of it, so 9e-2): does the text branch fit its training captions better?
#   AA D with filler words in half of the text phase's texts (text_fillers 0.5): one to three
#      function words of the text's language (the corpus's fillers.tsv, from stopwords-iso:
#      "a", "my", "qui", "der") inserted at random word boundaries, as in a typed sentence
#   AB D with a deeper text branch: two bidirectional SRU layers instead of one
#      (model/text/gru_layers 2; a from-scratch run, since JOINT_FROM holds a one-layer branch)
#   AC D without the text phase's keywords that are another identity's caption in their locale
#      (text_name_keywords drop: "rocket" stays 🚀's name and is no astronaut's keyword)
#   AD D with 64,000 tokenizer pieces instead of 32,000 (model/text/vocab_size 64000): fewer
#      names cut into pieces ("lion" = "▁li on" with 32,000)
#   AE AD with two-concept texts in 30 % of the text phase (text_mix 0.3): a text joined with a
#      text of another identity of its locale learns both identities' targets at half weight
#   AF AE within AD's text-phase time: 4 text epochs instead of 5 (text_epochs 4; AE's texts
#      are longer, its text phase ran 1.23x AD's time)
#   AG AD with a tokenizer of 128,000 pieces trained on every distinct caption and keyword
#      (model/text/vocab_size 128000, tokenizer_sampling distinct, tokenizer_sentences
#      3000000), its large tensors stored as float16 (model/weight_dtype, the default since
#      2026-12-05) so the file stays under 40 MB; from scratch, since the token table changes
# Environment: QISS (binary, default build/qiss), CORPUS (default data/emoji), PRESET (tiny),
# EPOCHS (preset's), THREADS (2), SEED (1), EXTRA (more --set options for every step, e.g.
# "--set text_epoch_share=0.1" for the middle budget of docs/model-experiments.md), JOINT_FROM (a
# checkpoint folder M.qiss.ckpt saved at the end of the joint epochs: each step starts its text
# phase from a copy of it, so that steps that differ only in the text phase share one joint
# phase; its settings must otherwise match the step's, or qiss train refuses it), KEEP_JOINT (a
# folder: a copy of each step's checkpoint is saved there as STEP.qiss.ckpt once the joint
# epochs are done, before the text phase replaces it; needs EPOCHS; give it as JOINT_FROM later).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-out/ablation}
shift || true
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(A B C D E F)
qiss=${QISS:-build/qiss}
corpus=${CORPUS:-data/emoji}
preset=${PRESET:-tiny}
threads=${THREADS:-2}
seed=${SEED:-1}
mkdir -p "$out"

old="--set sampler=random --set anchor_locale=en --set tokenizer_sampling=uniform \
--set model/text/char_coverage=0.995 --set model/text/byte_fallback=false \
--set model/text/max_tokens=24 --set text_epochs=0"
declare -A sets=(
  [A]="$old"
  [B]="--set tokenizer_sampling=uniform --set model/text/char_coverage=0.995 \
--set model/text/byte_fallback=false --set model/text/max_tokens=24 --set text_epochs=0"
  [C]="--set text_epochs=0"
  [D]=""
  [E]="--set text_epoch_share=0.1"
  [F]="--set style_augment=0.3"
  [G]="--set family_batches=true"
  [H]="--set mix_style=0.5"
  [I]="--set model/image/cnn_channels=[32,64,128,256]"
  [J]="--set text_keywords=all"
  [K]="--set text_epochs=2"
  [L]="--set text_embed_lr_scale=10"
  [M]="--set text_embed_lr_scale=30"
  [N]="--set text_embed_lr_scale=3"
  [O]="--set text_embed_lr_scale=100"
  [P]="--set embed_lr_scale=15"
  [Q]="--set text_target=mean_image"
  [R]="--set image_pair_weight=3"
  [S]="--set epochs=12"
  [T]="--set weight_decay=0.05"
  [U]="--set family_batches=true --set family_by=gender"
  [V]="--set epochs=16"
  [W]="--set image_pair_weight=0.3"
  [X]="--set text_base_repeat=2 --set text_tone_share=0.25"
  [Y]="--set text_tone_share=0.1 --set text_epochs=7"
  [Z]="--set text_lr=3e-3"
  [AA]="--set text_fillers=0.5"
  [AB]="--set model/text/gru_layers=2"
  [AC]="--set text_name_keywords=drop"
  [AD]="--set model/text/vocab_size=64000"
  [AE]="--set model/text/vocab_size=64000 --set text_mix=0.3"
  [AF]="--set model/text/vocab_size=64000 --set text_mix=0.3 --set text_epochs=4"
  [AG]="--set model/text/vocab_size=128000 --set tokenizer_sampling=distinct \
--set tokenizer_sentences=3000000 --set model/weight_dtype=float16"
)
# Copies CKPT to DEST once its state.json says EPOCH epochs are done (the text phase saves its
# first epoch minutes later, so the copy is of a settled folder); gives up when PID ends.
keep_joint() {
  local ckpt=$1 dest=$2 epoch=$3 pid=$4
  while kill -0 "$pid" 2>/dev/null; do
    if [ -f "$ckpt/state.json" ] &&
       python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["epoch"] != int(sys.argv[2]))' \
         "$ckpt/state.json" "$epoch" 2>/dev/null; then
      rm -rf "$dest.part" && cp -r "$ckpt" "$dest.part" && mv "$dest.part" "$dest"
      echo "kept the joint checkpoint of epoch $epoch as $dest"
      return
    fi
    sleep 10
  done
}
for s in "${steps[@]}"; do
  model="$out/$s.qiss"
  epochs=${EPOCHS:+--epochs $EPOCHS}
  if [ ! -f "$model" ]; then
    if [ -n "${JOINT_FROM:-}" ] && [ ! -d "$model.ckpt" ]; then cp -r "$JOINT_FROM" "$model.ckpt"; fi
    # shellcheck disable=SC2086
    nice -n 10 "$qiss" train --corpus "$corpus" --out "$model" --config "$preset" --seed "$seed" \
      --threads "$threads" --exclude-vendors google $epochs ${sets[$s]} ${EXTRA:-} >"$out/$s.train.log" 2>&1 &
    train=$!
    if [ -n "${KEEP_JOINT:-}" ]; then
      [ -n "${EPOCHS:-}" ] || { echo "KEEP_JOINT needs EPOCHS" >&2; exit 2; }
      mkdir -p "$KEEP_JOINT"
      keep_joint "$model.ckpt" "$KEEP_JOINT/$s.qiss.ckpt" "$EPOCHS" "$train" &
    fi
    wait "$train"
  fi
  nice -n 10 "$qiss" eval --model "$model" --corpus "$corpus" --gallery-vendor google \
    --threads "$threads" --json >"$out/$s.google.json" 2>"$out/$s.eval.log"
  python3 - "$s" "$out/$s.google.json" "$out/$s.train.log" <<'PY'
import json, re, sys
step, path, log = sys.argv[1:4]
j = json.load(open(path))
t = j["text_to_image"]
secs = re.findall(r"after (\S+)$", open(log).read().strip().splitlines()[-1])
print(f"| {step} | {t['en']['r10']:.3f} | {j['text_to_image_mean']['r10']:.3f} | "
      f"{j['image_to_image']['r1']:.3f} | "
      f"{sum(v['unk_rate'] for v in t.values()) / len(t) * 100:.2f} % | "
      f"{sum(v['truncated_rate'] for v in t.values()) / len(t) * 100:.2f} % | "
      f"{secs[0] if secs else '?'} |")
PY
done
