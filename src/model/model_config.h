#pragma once
/// @file model_config.h
/// Hyper-parameters of the dual-path model and of its training. Both are stored in the model
/// file (docs/format.md), so a loaded model needs no other configuration.

#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qiss {

/// How an image becomes the network's input: onto white, fit into a size x size square
/// (aspect kept; "fit_square_white"), resized to it ("stretch", as Keras/TF.js models are
/// fed) or its shorter side resized to size and the centre cropped ("center_crop", as CLIP),
/// scale to [0,1], then (x - mean) / std per RGB channel.
struct ImagePreprocess {
    int size = 64;
    std::string resize = "fit_square_white";
    std::array<float, 3> mean{0.5f, 0.5f, 0.5f};
    std::array<float, 3> std{0.25f, 0.25f, 0.25f};
};

/// Kind "torchscript": how a text becomes the imported text encoder's input
/// (model/torchscript/torchscript_network.h): the tokenizer's ids, `offset` added, `bos`
/// before and `eos` after (truncated so that all fits), padded with `pad` to
/// `context_length`; the encoder also gets a mask (1 for each id of the text, 0 for padding).
struct TextInput {
    std::string tokenizer = "sentencepiece";  ///< or "clip_bpe" (text/clip_bpe.h)
    int context_length = 77;
    int bos = -1;    ///< -1: none
    int eos = -1;    ///< -1: none
    int pad = 0;     ///< id of padding
    int offset = 0;  ///< added to each SentencePiece id (fairseq's XLM-R: 1)
    int unk = -1;    ///< id of SentencePiece's <unk> (-1: its own id + offset)
};

/// Architecture of the network: the model kind (model/model_kind.h) and its settings.
struct ModelConfig {
    /// "dual" (the dual-path network below, the kind qiss trains), "image_graph" (an imported
    /// image-only network, `graph`) or "torchscript" (imported TorchScript image and text
    /// encoders, `text_input`).
    std::string kind = "dual";
    std::string preset = "default";
    int embed_dim = 256;  ///< joint space dimension
    ImagePreprocess preprocess;
    /// kind "image_graph": the layer graph and embedding head (model/keras/keras_graph.h).
    nlohmann::json graph;
    /// kind "torchscript": the text encoder's input.
    TextInput text_input;
    // Image branch: residual CNN, WELDON top/bottom-k pooling, linear, L2 norm.
    std::vector<int> cnn_channels{24, 48, 96, 192};  ///< one stage each; stages 2.. halve the size
    int cnn_blocks = 1;                              ///< residual blocks per stage
    int weldon_k = 3;                                ///< top-k and bottom-k positions per channel
    float weldon_alpha = 0.7f;                       ///< weight of the bottom-k mean
    /// Identity anchors (model/anchors.h): an image embedding e becomes
    /// normalize(e + anchor_weight * normalize(softmax(e A^T / anchor_temperature) A)), A the
    /// training identities' proxies, stored in the model file. 0 = none. Training attaches
    /// them at its end when the weight is above 0.
    float anchor_weight = 0.0f;
    float anchor_temperature = 0.02f;  ///< softmax temperature of the anchor attention
    /// Anchors the file holds (rows of A): written by training or `qiss model anchors`, never
    /// a setting.
    int anchor_count = 0;
    // Text branch: SentencePiece tokens, embeddings, a bidirectional recurrent encoder
    // ("sru": Simple Recurrent Units, several times cheaper on CPU; "gru"), mean+max pooling.
    std::string rnn = "sru";
    /// Pieces of the SentencePiece vocabulary, shared by every language: 128,000 with the
    /// "distinct" tokenizer sample, most one-word names become one piece
    /// (docs/model-experiments.md, "A larger vocabulary in float16"); the tiny preset 4,000.
    int vocab_size = 128000;
    double char_coverage = 1.0;  ///< tokenizer training: rarer characters become <unk>/bytes
    bool byte_fallback = true;   ///< unknown characters become UTF-8 byte pieces, not <unk>
    int token_dim = 128;
    int gru_hidden = 192;  ///< hidden units per direction (GRU or SRU)
    int gru_layers = 1;
    int max_tokens = 48;
    float dropout = 0.1f;
    /// A query rule, not used in training (engine/word_search.h): a text search of two or more
    /// words also searches for each word on its own and scores an image by the best of its
    /// cosine with the query and word_weight x its cosine with each word. 0 = off; at most 1.
    float word_weight = 0.0f;
    /// How the model file stores the network's large tensors: "float16" (tensors of at least
    /// 65,536 elements, the token table first: half the file, embeddings within ~1e-3) or
    /// "float32". Checkpoints always keep float32; reading widens either to float32.
    std::string weight_dtype = "float16";
};

/// Training hyper-parameters.
struct TrainConfig {
    /// With the eleven-style emoji corpus an epoch is 232 steps of 128 identities; the default
    /// preset's 12 epochs (docs/model-experiments.md, "A longer joint phase") and its 5
    /// text-phase epochs train in about 85 minutes on 2 cores (1 h 23 min 36 s measured on
    /// 2026-12-05, docs/model-card.md).
    int epochs = 8;
    /// Passes over the training identities per epoch (each pass shows every identity once, with
    /// two images); 0 = as many as there are training images per identity, so that an epoch
    /// shows each image about once whatever the number of drawing styles.
    int passes_per_epoch = 0;
    int batch_size = 128;
    float lr = 2e-3f;
    float weight_decay = 1e-4f;
    /// Learning rate of the token embeddings in the joint phase, as a multiple of `lr` (the
    /// joint-phase counterpart of `text_embed_lr_scale`); 1 = one group, as before it existed.
    float embed_lr_scale = 1.0f;
    int warmup_epochs = 1;
    std::string loss = "infonce";    ///< "infonce" (symmetric) or "vse_max" (max of hinges)
    float margin = 0.2f;             ///< for vse_max
    float temperature = 0.05f;       ///< for infonce
    float image_pair_weight = 1.0f;  ///< weight of the image-image term (two vendors of one id)
    /// Probability of each drawing-style augmentation per training image (posterize, blur,
    /// outline thickening/thinning, saturation and gamma; train/augment.h); 0 = none.
    float style_augment = 0.0f;
    /// MixStyle (model/mix_style.h): probability per training step that the image branch mixes
    /// the channel statistics of its images after its first two stages; 0 = off.
    float mix_style = 0.0f;
    float mix_style_alpha = 0.1f;  ///< Beta(alpha, alpha) of the mixing weight
    int texts_per_identity = 4;    ///< texts drawn per identity and step
    /// How an identity's texts are chosen: "balanced" (each identity cycles through all of its
    /// locales without replacement: captions on the first cycle, keyword bundles on the next,
    /// alternating)
    /// or "random" (a random locale each time; the first slot in `anchor_locale`).
    std::string sampler = "balanced";
    /// "random" sampler only: the first text of an identity is in this locale if it has one
    /// ("" = none). Models before the balanced sampler used "en".
    std::string anchor_locale;
    /// Batches hold whole identity families: identities whose ids differ only by skin-tone
    /// modifiers (U+1F3FB..U+1F3FF: an emoji and its five tones, a couple and its 25) follow
    /// each other in an epoch's order, so that each is an in-batch negative of the others
    /// (hard negatives). Ids without such a suffix form families of one (no change).
    bool family_batches = false;
    /// What makes a family for `family_batches`: "skin_tone" (above) or "gender": identities
    /// equal once man / woman / person (boy / girl / child, old man / old woman / older person)
    /// are made one and the ZWJ gender signs dropped, skin tones kept (the man, woman and person
    /// farmer of one tone; person, woman and man running): the variants an unseen drawing style
    /// confuses most.
    std::string family_by = "skin_tone";
    float text_pair_weight = 0.5f;  ///< weight of the text-text term (first text vs the others)
    int vse_warmup_epochs = 2;      ///< vse_max: sum of hinges first, then the hardest negative
    /// Weight of the identity-proxy term: one learned unit vector per training identity, every
    /// image and text embedding classified against all of them (normalised softmax). It gives
    /// each step a gradient from every identity, not only the batch's; 0 disables it.
    float proxy_weight = 1.0f;
    float proxy_temperature = 0.05f;  ///< softmax temperature of the proxy term
    int tokenizer_sentences = 3000000;
    /// Tokenizer training text: "balanced" (the same number of texts from every locale,
    /// captions `tokenizer_caption_weight` times as likely as a keyword), "distinct" (every
    /// distinct caption, `tokenizer_caption_weight` times, and keyword of every locale, up to
    /// `tokenizer_sentences`) or "uniform" (a uniform sample of every caption and keyword, the
    /// first models' choice). 3,000,000 lies above the emoji corpus's 2.2 million distinct
    /// texts; the tiny preset samples 60,000 "balanced".
    std::string tokenizer_sampling = "distinct";
    float tokenizer_caption_weight = 4.0f;
    // Locked-image text phase (LiT / M-CLIP teacher learning), after the joint epochs: the
    // image branch is frozen and the text branch learns every (identity, locale) caption and
    // keyword bundle against fixed identity targets.
    int text_epochs = 0;            ///< 0 = no text phase
    float text_epoch_share = 1.0f;  ///< share of all (identity, locale, kind) texts per epoch
    int text_batch_size = 512;      ///< texts per step
    float text_lr = 1e-3f;          ///< peak learning rate (warm-up, then cosine)
    /// Learning rate of the token embeddings in the text phase, as a multiple of `text_lr`.
    /// Adam moves a weight by about the learning rate per update, and a rare word's embedding
    /// is updated only the few times per epoch that one of its texts is drawn. 1 here and in
    /// the tiny preset; the default preset sets 30 (docs/model-experiments.md, "Token
    /// embeddings that learn").
    float text_embed_lr_scale = 1.0f;
    /// Targets: "mean_image" (the normalised mean embedding of the identity's training images),
    /// "proxy" (its learned proxy) or "both" (normalised sum of the two).
    std::string text_target = "both";
    float text_temperature = 0.05f;  ///< softmax temperature against all identity targets
    /// Probability that a text-phase text gets sentence-like context: another text of its
    /// identity and/or common words of its locale (train/text_context.h); 0 = none.
    float text_context = 0.0f;
    /// Probability that a text-phase text gets one to three filler words of its language
    /// ("a", "my", "qui"; the corpus's fillers.tsv, corpus/fillers.h) inserted at random word
    /// boundaries, so that sentences read like the names they hold; 0 = none.
    float text_fillers = 0.0f;
    /// Probability that a text-phase text is joined with a text of another identity in its
    /// locale and learns both identities' targets at half weight each (train/text_mix.h), so
    /// that a sentence naming two things lies near both; 0 = none.
    float text_mix = 0.0f;
    /// Which identities give keyword bundles to the text phase: "family" (one per skin-tone
    /// family: the tone-free id, else the family's first; the tones' keywords are the same plus
    /// the tone's name, which their captions carry) or "all" (every identity: a keyword shared by
    /// a person emoji and an object is then presented once per tone, e.g. "fire" 18 times as a
    /// firefighter's for once as the flame's).
    std::string text_keywords = "family";
    /// Times each text item of an identity without skin-tone modifiers is drawn per text epoch
    /// (its caption and keyword bundles): the tone-free captions are the names people type,
    /// and shorter ones (docs/model-experiments.md, "Tone-free texts first"). 1 = once, as
    /// before.
    int text_base_repeat = 1;
    /// Share of the skin-tone variants' text items drawn per text epoch (a seeded random subset;
    /// their captions are a family's caption plus the tone's name). 1 = all, as before.
    float text_tone_share = 1.0f;
    /// "drop": in the text phase, a keyword of an identity that is another identity's caption
    /// in the same locale (case folded: "rocket" is 🚀's name and an astronaut's keyword, "man"
    /// is 👨's and a keyword of 673 others) is not among the identity's keywords, so a name is
    /// only ever taught as its own emoji's. "keep": every keyword, as before.
    std::string text_name_keywords = "keep";
};

/// Checks every field after presets and overrides; throws qiss::Error naming the setting (as
/// `--set` spells it) and its allowed values.
void validate(const ModelConfig& model, const TrainConfig& train);

/// Throws qiss::Error naming `key` unless `weight` is a word weight (ModelConfig::word_weight):
/// a number in [0, 1].
void check_word_weight(float weight, const std::string& key);

/// Throws unless `dtype` is a weight storage a model file can hold ("float16" or "float32",
/// ModelConfig::weight_dtype).
void check_weight_dtype(const std::string& dtype);

/// A named preset: "tiny" (tests, trains in minutes) or "default" (the shipped model).
/// Throws qiss::Error for an unknown name.
ModelConfig model_preset(const std::string& name);
TrainConfig train_preset(const std::string& name);

void to_json(nlohmann::json& j, const TextInput& t);
void from_json(const nlohmann::json& j, TextInput& t);
void to_json(nlohmann::json& j, const ImagePreprocess& p);
void from_json(const nlohmann::json& j, ImagePreprocess& p);
void to_json(nlohmann::json& j, const ModelConfig& c);
void from_json(const nlohmann::json& j, ModelConfig& c);
void to_json(nlohmann::json& j, const TrainConfig& c);
void from_json(const nlohmann::json& j, TrainConfig& c);

}  // namespace qiss
