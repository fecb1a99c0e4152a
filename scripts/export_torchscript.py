#!/usr/bin/env python3
"""Export a CLIP-family model as TorchScript for `qiss model import --torchscript DIR`.

Run it where torch and the model are (qiss never downloads weights); copy DIR to the qiss
machine; then `qiss model import --torchscript DIR --out model.qiss`.

    export_torchscript.py openai-clip ViT-B/32 OUT          # pip: torch, clip (OpenAI)
    export_torchscript.py open-clip ViT-B-32 OUT --pretrained laion2b_s34b_b79k  # open_clip_torch
    export_torchscript.py open-clip xlm-roberta-base-ViT-B-32 OUT --pretrained laion5b_s13b_b90k
    export_torchscript.py selftest - OUT        # a tiny untrained CLIP-like model (tests check the path)

DIR then holds what docs/models.md describes:
  image_encoder.pt   pixels [N,3,S,S] float32, normalised -> [N,D]
  text_encoder.pt    ids [N,T] int64, mask [N,T] int64 (1 = text, 0 = padding) -> [N,D]
  the tokenizer      CLIP's BPE merges (bpe_simple_vocab_16e6.txt.gz) or a SentencePiece model
  qiss.json          dimension, image size, mean/std, resize, tokenizer, context length, ids

Limits (docs/models.md, "Bring your own model"):
  - qiss links libtorch 1.13. Export with the eager attention path (this script sets it; for
    Hugging Face models attn_implementation="eager"): torch 2's fused attention
    (aten::scaled_dot_product_attention) and other operators newer than 1.13 do not exist there,
    and the import stops with libtorch's message naming the operator. Exporting with torch 1.13
    (Debian bookworm's python3-torch) avoids the question.
  - The encoders are traced (torch.jit.trace) at one batch size and the context length: they
    must not branch on the input's values.
  - ftfy's repair of mis-decoded text is not done by qiss's CLIP tokenizer.
"""
import argparse
import json
import os
import shutil
import struct
import sys
import zlib

import torch


class ImageEncoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model  # a submodule, so that tracing keeps its weights as parameters

    def forward(self, pixels):
        return self.model.encode_image(pixels).float()


class ClipTextEncoder(torch.nn.Module):
    """CLIP finds the end token by argmax over the ids; the mask is not needed."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids, mask):
        return self.model.encode_text(ids).float()


def describe(out, *, dim, size, mean, std, tokenizer, tokenizer_file, context, **ids):
    d = {"embed_dim": dim, "image_size": size, "mean": list(mean), "std": list(std),
         "resize": "center_crop", "tokenizer": tokenizer, "tokenizer_file": tokenizer_file,
         "context_length": context}
    d.update(ids)
    with open(os.path.join(out, "qiss.json"), "w") as f:
        json.dump(d, f, indent=2)


def trace_and_save(module, example, path):
    module.eval()
    with torch.no_grad():
        traced = torch.jit.trace(module, example, check_trace=False)
    torch.jit.save(traced, path)


def clip_bpe_file():
    """OpenAI's merges file, as the clip and open_clip packages ship it."""
    for mod in ("clip", "open_clip"):
        try:
            pkg = __import__(mod)
        except ImportError:
            continue
        for root, _, files in os.walk(os.path.dirname(pkg.__file__)):
            if "bpe_simple_vocab_16e6.txt.gz" in files:
                return os.path.join(root, "bpe_simple_vocab_16e6.txt.gz")
    sys.exit("bpe_simple_vocab_16e6.txt.gz not found in the clip or open_clip package")


def export_openai(args):
    import clip
    model, _ = clip.load(args.name, device="cpu", jit=False)
    size = model.visual.input_resolution
    dim = model.text_projection.shape[1]
    pixels = torch.zeros(1, 3, size, size)
    ids = clip.tokenize(["a photo of a cat"])
    trace_and_save(ImageEncoder(model), pixels, os.path.join(args.out, "image_encoder.pt"))
    trace_and_save(ClipTextEncoder(model), (ids, torch.ones_like(ids)),
                   os.path.join(args.out, "text_encoder.pt"))
    shutil.copy(clip_bpe_file(), args.out)
    describe(args.out, dim=dim, size=size, mean=(0.48145466, 0.4578275, 0.40821073),
             std=(0.26862954, 0.26130258, 0.27577711), tokenizer="clip_bpe",
             tokenizer_file="bpe_simple_vocab_16e6.txt.gz", context=ids.shape[1])


def export_open_clip(args):
    import open_clip
    model, _, _ = open_clip.create_model_and_transforms(args.name, pretrained=args.pretrained,
                                                        device="cpu")
    tok = open_clip.get_tokenizer(args.name)
    cfg = getattr(model.visual, "preprocess_cfg", {}) or {}
    size = model.visual.image_size
    size = size[0] if isinstance(size, (tuple, list)) else size
    mean = cfg.get("mean", open_clip.OPENAI_DATASET_MEAN)
    std = cfg.get("std", open_clip.OPENAI_DATASET_STD)
    context = getattr(tok, "context_length", 77)
    ids = tok(["a photo of a cat"])
    pixels = torch.zeros(1, 3, size, size)
    with torch.no_grad():
        dim = model.encode_image(pixels).shape[1]
    trace_and_save(ImageEncoder(model), pixels, os.path.join(args.out, "image_encoder.pt"))
    hf = getattr(tok, "tokenizer", None)  # open_clip's HFTokenizer wraps a transformers tokenizer
    if hf is None:
        trace_and_save(ClipTextEncoder(model), (ids, torch.ones_like(ids)),
                       os.path.join(args.out, "text_encoder.pt"))
        shutil.copy(clip_bpe_file(), args.out)
        describe(args.out, dim=dim, size=size, mean=mean, std=std, tokenizer="clip_bpe",
                 tokenizer_file="bpe_simple_vocab_16e6.txt.gz", context=context)
        return
    vocab = getattr(hf, "vocab_file", None)
    if not vocab or not vocab.endswith(".model"):
        sys.exit(f"{args.name}: its tokenizer is not a SentencePiece model; qiss reads "
                 "SentencePiece and CLIP's BPE only")
    # open_clip's HFTextEncoder builds its own mask from pad_token_id; qiss's mask is the same.
    trace_and_save(ClipTextEncoder(model), (ids, (ids != hf.pad_token_id).long()),
                   os.path.join(args.out, "text_encoder.pt"))
    shutil.copy(vocab, os.path.join(args.out, "sentencepiece.model"))
    offset = getattr(hf, "fairseq_offset", 0)
    describe(args.out, dim=dim, size=size, mean=mean, std=std, tokenizer="sentencepiece",
             tokenizer_file="sentencepiece.model", context=context,
             bos=hf.bos_token_id if hf.bos_token_id is not None else -1,
             eos=hf.eos_token_id if hf.eos_token_id is not None else -1,
             pad=hf.pad_token_id if hf.pad_token_id is not None else 0,
             offset=offset, unk=hf.unk_token_id if hf.unk_token_id is not None else -1)


class TinyClip(torch.nn.Module):
    """selftest: a seeded, untrained CLIP in miniature (conv image tower; text transformer over
    token and position embeddings, read at the end token as CLIP does), 8 dimensions."""

    def __init__(self, vocab=522, context=8, width=16, dim=8):
        super().__init__()
        torch.manual_seed(1)
        self.conv = torch.nn.Conv2d(3, width, 3, stride=2, padding=1)
        self.image_proj = torch.nn.Linear(width, dim)
        self.token = torch.nn.Embedding(vocab, width)
        self.position = torch.nn.Parameter(torch.randn(context, width) * 0.1)
        layer = torch.nn.TransformerEncoderLayer(width, 2, 32, dropout=0.0, batch_first=True)
        self.transformer = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.text_proj = torch.nn.Linear(width, dim)

    def encode_image(self, x):
        return self.image_proj(torch.relu(self.conv(x)).mean((2, 3)))

    def encode_text(self, ids):
        x = self.transformer(self.token(ids) + self.position)
        return self.text_proj(x[torch.arange(x.shape[0]), ids.argmax(dim=-1)])


# CLIP-style merges: "hello" -> 515, "world" -> 519, start 520, end 521 (tests/test_clip_bpe.cpp).
TINY_MERGES = "#version: 0.2\nh e\nl l\nhe ll\nhell o</w>\nw o\nwo r\nwor l\nworl d</w>\n"


def export_selftest(args):
    """Exports TinyClip, and expected.json: its embedding of "hello world" and of probe.png
    computed here in Python, for `qiss embed` to reproduce after the import."""
    model = TinyClip().eval()
    size, mean, std = 32, (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)
    ids = torch.tensor([[520, 515, 519, 521, 0, 0, 0, 0]])
    pixels = torch.zeros(1, 3, size, size)
    trace_and_save(ImageEncoder(model), pixels, os.path.join(args.out, "image_encoder.pt"))
    trace_and_save(ClipTextEncoder(model), (ids, (ids != 0).long()),
                   os.path.join(args.out, "text_encoder.pt"))
    with open(os.path.join(args.out, "merges.txt"), "w") as f:
        f.write(TINY_MERGES)
    describe(args.out, dim=8, size=size, mean=mean, std=std, tokenizer="clip_bpe",
             tokenizer_file="merges.txt", context=8)
    # A 32 px probe image (a colour gradient) as PNG, written with zlib alone.
    rgb = [[((x * 8) % 256, (y * 8) % 256, ((x + y) * 4) % 256) for x in range(size)] for y in range(size)]
    raw = b"".join(b"\0" + bytes(c for px in row for c in px) for row in rgb)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    with open(os.path.join(args.out, "probe.png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    x = torch.tensor(rgb, dtype=torch.float32).permute(2, 0, 1) / 255
    x = (x - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
    with torch.no_grad():
        img = torch.nn.functional.normalize(model.encode_image(x.unsqueeze(0)), dim=1)[0]
        txt = torch.nn.functional.normalize(model.encode_text(ids), dim=1)[0]
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump({"torch": torch.__version__, "text": "hello world", "text_embedding": txt.tolist(),
                   "image": "probe.png", "image_embedding": img.tolist()}, f)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("family", choices=["openai-clip", "open-clip", "selftest"],
                   help="selftest: a tiny untrained CLIP-like model, to check the export and import "
                   "path (NAME is ignored)")
    p.add_argument("name", help="model name, e.g. ViT-B/32 (openai-clip) or ViT-B-32 (open-clip)")
    p.add_argument("out", help="folder to write")
    p.add_argument("--pretrained", help="open-clip: the weights' tag")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if hasattr(torch.backends, "mha"):
        torch.backends.mha.set_fastpath_enabled(False)  # eager attention
    {"openai-clip": export_openai, "open-clip": export_open_clip,
     "selftest": export_selftest}[args.family](args)
    print(f"wrote {args.out}; next: qiss model import --torchscript {args.out} --out model.qiss")


if __name__ == "__main__":
    main()
