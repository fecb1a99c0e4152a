#include "model/model_config.h"

#include <algorithm>

#include "common/error.h"
#include "common/json_number.h"

namespace qiss {

namespace {

/// Throws unless `ok`: "invalid setting KEY = VALUE: expected WHAT".
template <typename T>
void require(bool ok, const std::string& key, const T& value, const std::string& expected) {
    if (ok) return;
    QISS_THROW("invalid setting {} = {}: expected {}", key, nlohmann::json(value).dump(), expected);
}

void require_one_of(const std::string& key, const std::string& value,
                    const std::vector<std::string>& allowed) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    require(std::find(allowed.begin(), allowed.end(), value) != allowed.end(), key, value,
            "one of " + list);
}

/// The inference-time settings (identity anchors, the words of a query) that a model file and
/// a training run share.
void check_inference_settings(const ModelConfig& m) {
    require(m.anchor_weight >= 0, "model/image/anchor_weight", m.anchor_weight,
            "a number >= 0 (0 = no identity anchors)");
    require(m.anchor_temperature > 0, "model/image/anchor_temperature", m.anchor_temperature,
            "a number > 0");
    check_word_weight(m.word_weight, "model/text/word_weight");
}

}  // namespace

void check_word_weight(float weight, const std::string& key) {
    require(weight >= 0 && weight <= 1, key, weight,
            "a number in [0, 1] (0 = the words of a query are not searched on their own)");
}

ModelConfig model_preset(const std::string& name) {
    ModelConfig c;
    c.preset = name;
    if (name == "default") {
        // Identity anchors (model/anchors.h): an emoji identity is one concept drawn in several
        // styles. A corpus whose identities are single photos sets 0.
        c.anchor_weight = 1.0f;
        // Natural-language set on the held-out google style 57.3 -> 62.7 % in the top 10,
        // caption queries unchanged (docs/model-experiments.md, "The words of a query").
        c.word_weight = 0.8f;
        return c;
    }
    if (name == "tiny") {
        c.cnn_channels = {16, 32, 64, 128};
        c.vocab_size = 4000;
        c.token_dim = 128;
        c.gru_hidden = 128;
        c.gru_layers = 1;
        c.weight_dtype = "float32";  // the tests compare embeddings across a save to 1e-5
        return c;
    }
    QISS_THROW("unknown model config '{}' (expected tiny or default)", name);
}

TrainConfig train_preset(const std::string& name) {
    TrainConfig t;
    if (name == "default") {
        t.epochs = 12;  // image->image on an unseen style +0.045 over 8 (two seeds)
        t.text_epochs = 5;
        t.text_embed_lr_scale = 30;
        return t;
    }
    if (name == "tiny") {
        // Short enough for the test suite's fixture on 2 cores, whatever the number of styles.
        t.epochs = 4;
        t.passes_per_epoch = 1;
        t.batch_size = 128;
        t.texts_per_identity = 2;
        t.lr = 3e-3f;
        t.vse_warmup_epochs = 1;
        t.tokenizer_sentences = 60000;
        t.tokenizer_sampling = "balanced";
        t.text_epochs = 1;
        t.text_epoch_share = 0.02f;
        t.text_target = "proxy";  // no pass over every training image for the targets
        return t;
    }
    QISS_THROW("unknown model config '{}' (expected tiny or default)", name);
}

void to_json(nlohmann::json& j, const TextInput& t) {
    j = {{"tokenizer", t.tokenizer},
         {"context_length", t.context_length},
         {"bos", t.bos},
         {"eos", t.eos},
         {"pad", t.pad},
         {"offset", t.offset},
         {"unk", t.unk}};
}

void from_json(const nlohmann::json& j, TextInput& t) {
    j.at("tokenizer").get_to(t.tokenizer);
    json_get_to(j.at("context_length"), t.context_length);
    json_get_to(j.at("bos"), t.bos);
    json_get_to(j.at("eos"), t.eos);
    json_get_to(j.at("pad"), t.pad);
    json_get_to(j.at("offset"), t.offset);
    json_get_to(j.at("unk"), t.unk);
    QISS_CHECK(t.tokenizer == "sentencepiece" || t.tokenizer == "clip_bpe",
               "unsupported tokenizer '{}' (expected sentencepiece or clip_bpe)", t.tokenizer);
    QISS_CHECK(t.context_length >= 1 + (t.bos >= 0) + (t.eos >= 0) && t.context_length <= 4096,
               "context length {} is outside {}..4096", t.context_length,
               1 + (t.bos >= 0) + (t.eos >= 0));
    for (int id : {t.bos, t.eos, t.unk})
        QISS_CHECK(id >= -1, "token id {} (must be >= 0, or -1 for none)", id);
    QISS_CHECK(t.pad >= 0 && t.offset >= 0, "padding id {} and id offset {} must be >= 0", t.pad,
               t.offset);
}

void to_json(nlohmann::json& j, const ImagePreprocess& p) {
    j = {{"size", p.size}, {"resize", p.resize}, {"mean", p.mean}, {"std", p.std}};
}

void from_json(const nlohmann::json& j, ImagePreprocess& p) {
    json_get_to(j.at("size"), p.size);
    json_get_to(j.at("mean"), p.mean);
    json_get_to(j.at("std"), p.std);
    p.resize = j.value("resize", "");
    QISS_CHECK(p.resize == "fit_square_white" || p.resize == "stretch" || p.resize == "center_crop",
               "unsupported resize mode '{}' (expected fit_square_white, stretch or center_crop)",
               p.resize);
    QISS_CHECK(p.size >= 8 && p.size <= 1024, "image size {} is outside 8..1024", p.size);
    for (float s : p.std) QISS_CHECK(s > 0, "a preprocessing std of {} (must be > 0)", s);
}

void to_json(nlohmann::json& j, const ModelConfig& c) {
    if (c.kind != "dual") {
        j = {{"kind", c.kind},
             {"preset", c.preset},
             {"embed_dim", c.embed_dim},
             {"preprocess", c.preprocess}};
        if (c.kind == "torchscript")
            j["text_input"] = c.text_input;
        else
            j["graph"] = c.graph;
        return;
    }
    j = {{"kind", c.kind},
         {"preset", c.preset},
         {"embed_dim", c.embed_dim},
         {"preprocess", c.preprocess},
         {"image",
          {{"cnn_channels", c.cnn_channels},
           {"cnn_blocks", c.cnn_blocks},
           {"weldon_k", c.weldon_k},
           {"weldon_alpha", c.weldon_alpha},
           {"anchor_weight", c.anchor_weight},
           {"anchor_temperature", c.anchor_temperature},
           {"anchors", c.anchor_count}}},
         {"text",
          {{"rnn", c.rnn},
           {"vocab_size", c.vocab_size},
           {"char_coverage", c.char_coverage},
           {"byte_fallback", c.byte_fallback},
           {"token_dim", c.token_dim},
           {"gru_hidden", c.gru_hidden},
           {"gru_layers", c.gru_layers},
           {"max_tokens", c.max_tokens},
           {"dropout", c.dropout},
           {"word_weight", c.word_weight}}},
         {"weight_dtype", c.weight_dtype}};
}

void from_json(const nlohmann::json& j, ModelConfig& c) {
    c.kind = j.value("kind", "dual");  // files written before kinds existed hold a dual model
    json_get_to(j.at("preset"), c.preset);
    json_get_to(j.at("embed_dim"), c.embed_dim);
    QISS_CHECK(c.embed_dim >= 1 && c.embed_dim <= 65536,
               "embedding dimension {} is outside 1..65536", c.embed_dim);
    json_get_to(j.at("preprocess"), c.preprocess);
    if (c.kind != "dual") {
        if (c.kind == "torchscript")
            j.at("text_input").get_to(c.text_input);
        else
            c.graph = j.at("graph");
        return;  // the kind's constructor (model/model_kind.h) checks the rest
    }
    const auto& im = j.at("image");
    json_get_to(im.at("cnn_channels"), c.cnn_channels);
    json_get_to(im.at("cnn_blocks"), c.cnn_blocks);
    json_get_to(im.at("weldon_k"), c.weldon_k);
    json_get_to(im.at("weldon_alpha"), c.weldon_alpha);
    c.anchor_weight = json_value(im, "anchor_weight", 0.0f);  // absent before identity anchors
    c.anchor_temperature = json_value(im, "anchor_temperature", 0.02f);
    c.anchor_count = json_value(im, "anchors", 0);
    require(c.anchor_count >= 0 && c.anchor_count <= (1 << 24), "model/image/anchors",
            c.anchor_count, "an integer in [0, 16777216]");
    const auto& t = j.at("text");
    c.rnn = t.value("rnn", "gru");  // files written before the choice existed used a GRU
    require_one_of("model/text/rnn", c.rnn, {"sru", "gru"});
    json_get_to(t.at("vocab_size"), c.vocab_size);
    json_get_to(t.at("char_coverage"), c.char_coverage);
    c.byte_fallback = json_value(t, "byte_fallback", false);  // absent before byte fallback existed
    json_get_to(t.at("token_dim"), c.token_dim);
    json_get_to(t.at("gru_hidden"), c.gru_hidden);
    json_get_to(t.at("gru_layers"), c.gru_layers);
    json_get_to(t.at("max_tokens"), c.max_tokens);
    json_get_to(t.at("dropout"), c.dropout);
    c.word_weight = json_value(t, "word_weight", 0.0f);  // absent before the words of a query
    check_inference_settings(c);
    c.weight_dtype = j.value("weight_dtype", "float32");  // absent before float16 storage
    check_weight_dtype(c.weight_dtype);
}

void to_json(nlohmann::json& j, const TrainConfig& c) {
    j = {{"epochs", c.epochs},
         {"passes_per_epoch", c.passes_per_epoch},
         {"batch_size", c.batch_size},
         {"lr", c.lr},
         {"weight_decay", c.weight_decay},
         {"warmup_epochs", c.warmup_epochs},
         {"loss", c.loss},
         {"margin", c.margin},
         {"temperature", c.temperature},
         {"image_pair_weight", c.image_pair_weight},
         {"style_augment", c.style_augment},
         {"mix_style", c.mix_style},
         {"mix_style_alpha", c.mix_style_alpha},
         {"texts_per_identity", c.texts_per_identity},
         {"sampler", c.sampler},
         {"anchor_locale", c.anchor_locale},
         {"family_batches", c.family_batches},
         {"family_by", c.family_by},
         {"text_pair_weight", c.text_pair_weight},
         {"vse_warmup_epochs", c.vse_warmup_epochs},
         {"proxy_weight", c.proxy_weight},
         {"proxy_temperature", c.proxy_temperature},
         {"tokenizer_sentences", c.tokenizer_sentences},
         {"tokenizer_sampling", c.tokenizer_sampling},
         {"tokenizer_caption_weight", c.tokenizer_caption_weight},
         {"text_epochs", c.text_epochs},
         {"text_epoch_share", c.text_epoch_share},
         {"text_batch_size", c.text_batch_size},
         {"text_lr", c.text_lr},
         {"text_target", c.text_target},
         {"text_temperature", c.text_temperature},
         {"text_context", c.text_context},
         {"text_fillers", c.text_fillers},
         {"text_mix", c.text_mix},
         {"text_keywords", c.text_keywords},
         {"text_base_repeat", c.text_base_repeat},
         {"text_tone_share", c.text_tone_share},
         {"text_name_keywords", c.text_name_keywords},
         {"text_embed_lr_scale", c.text_embed_lr_scale},
         {"embed_lr_scale", c.embed_lr_scale}};
}

void from_json(const nlohmann::json& j, TrainConfig& c) {
    json_get_to(j.at("epochs"), c.epochs);
    c.passes_per_epoch = json_value(j, "passes_per_epoch", 0);
    json_get_to(j.at("batch_size"), c.batch_size);
    json_get_to(j.at("lr"), c.lr);
    json_get_to(j.at("weight_decay"), c.weight_decay);
    json_get_to(j.at("warmup_epochs"), c.warmup_epochs);
    json_get_to(j.at("loss"), c.loss);
    json_get_to(j.at("margin"), c.margin);
    json_get_to(j.at("temperature"), c.temperature);
    json_get_to(j.at("image_pair_weight"), c.image_pair_weight);
    c.style_augment = json_value(j, "style_augment", 0.0f);
    c.mix_style = json_value(j, "mix_style", 0.0f);
    c.mix_style_alpha = json_value(j, "mix_style_alpha", 0.1f);
    json_get_to(j.at("texts_per_identity"), c.texts_per_identity);
    // Files written before the balanced sampler: random locales, English first.
    c.sampler = j.value("sampler", "random");
    c.anchor_locale = j.value("anchor_locale", "");
    c.family_batches = json_value(j, "family_batches", false);
    c.family_by = j.value("family_by", "skin_tone");
    json_get_to(j.at("text_pair_weight"), c.text_pair_weight);
    json_get_to(j.at("vse_warmup_epochs"), c.vse_warmup_epochs);
    c.proxy_weight =
        json_value(j, "proxy_weight", 0.0f);  // absent in models trained before it existed
    c.proxy_temperature = json_value(j, "proxy_temperature", c.proxy_temperature);
    json_get_to(j.at("tokenizer_sentences"), c.tokenizer_sentences);
    // Absent in files written before they existed: the behaviour of that time.
    c.tokenizer_sampling = j.value("tokenizer_sampling", "uniform");
    c.tokenizer_caption_weight =
        json_value(j, "tokenizer_caption_weight", c.tokenizer_caption_weight);
    c.text_epochs = json_value(j, "text_epochs", 0);
    c.text_epoch_share = json_value(j, "text_epoch_share", c.text_epoch_share);
    c.text_batch_size = json_value(j, "text_batch_size", c.text_batch_size);
    c.text_lr = json_value(j, "text_lr", c.text_lr);
    c.text_target = json_value(j, "text_target", c.text_target);
    c.text_temperature = json_value(j, "text_temperature", c.text_temperature);
    c.text_context = json_value(j, "text_context", 0.0f);
    c.text_fillers = json_value(j, "text_fillers", 0.0f);
    c.text_mix = json_value(j, "text_mix", 0.0f);
    c.text_keywords = j.value("text_keywords", "all");
    c.text_base_repeat = json_value(j, "text_base_repeat", 1);
    c.text_tone_share = json_value(j, "text_tone_share", 1.0f);
    c.text_name_keywords = j.value("text_name_keywords", "keep");
    c.text_embed_lr_scale = json_value(j, "text_embed_lr_scale", 1.0f);
    c.embed_lr_scale = json_value(j, "embed_lr_scale", 1.0f);
}

void check_weight_dtype(const std::string& dtype) {
    require_one_of("model/weight_dtype", dtype, {"float16", "float32"});
}

void validate(const ModelConfig& m, const TrainConfig& t) {
    const std::string pos = "an integer >= 1", positive = "a number > 0";
    require(m.embed_dim >= 1, "model/embed_dim", m.embed_dim, pos);
    require(m.preprocess.size >= 16 && m.preprocess.size <= 1024, "model/preprocess/size",
            m.preprocess.size, "an integer in [16, 1024]");
    for (float sd : m.preprocess.std) require(sd > 0, "model/preprocess/std", sd, positive);
    require(!m.cnn_channels.empty() && std::all_of(m.cnn_channels.begin(), m.cnn_channels.end(),
                                                   [](int c) { return c >= 1; }),
            "model/image/cnn_channels", m.cnn_channels, "a non-empty list of integers >= 1");
    require(m.cnn_blocks >= 1, "model/image/cnn_blocks", m.cnn_blocks, pos);
    require(m.weldon_k >= 1, "model/image/weldon_k", m.weldon_k, pos);
    require(m.weldon_alpha >= 0 && m.weldon_alpha <= 1, "model/image/weldon_alpha", m.weldon_alpha,
            "a number in [0, 1]");
    check_inference_settings(m);
    require(m.anchor_count == 0, "model/image/anchors", m.anchor_count,
            "0 (training writes the number of anchors; it is not a setting)");
    require_one_of("model/text/rnn", m.rnn, {"sru", "gru"});
    require(m.vocab_size >= 300, "model/text/vocab_size", m.vocab_size, "an integer >= 300");
    require(m.char_coverage > 0 && m.char_coverage <= 1, "model/text/char_coverage",
            m.char_coverage, "a number in (0, 1]");
    require(m.token_dim >= 1, "model/text/token_dim", m.token_dim, pos);
    require(m.gru_hidden >= 1, "model/text/gru_hidden", m.gru_hidden, pos);
    require(m.gru_layers >= 1, "model/text/gru_layers", m.gru_layers, pos);
    require(m.max_tokens >= 1 && m.max_tokens <= 256, "model/text/max_tokens", m.max_tokens,
            "an integer in [1, 256]");
    require(m.dropout >= 0 && m.dropout < 1, "model/text/dropout", m.dropout, "a number in [0, 1)");
    check_weight_dtype(m.weight_dtype);

    require(t.epochs >= 1, "epochs", t.epochs, pos);
    require(t.passes_per_epoch >= 0, "passes_per_epoch", t.passes_per_epoch,
            "an integer >= 0 (0 = images per identity)");
    require(t.batch_size >= 2, "batch_size", t.batch_size, "an integer >= 2");
    require(t.lr > 0, "lr", t.lr, positive);
    require(t.weight_decay >= 0, "weight_decay", t.weight_decay, "a number >= 0");
    require(t.warmup_epochs >= 0 && t.warmup_epochs <= t.epochs, "warmup_epochs", t.warmup_epochs,
            "an integer in [0, epochs]");
    require_one_of("loss", t.loss, {"infonce", "vse_max"});
    require(t.margin >= 0, "margin", t.margin, "a number >= 0");
    require(t.temperature > 0, "temperature", t.temperature, positive);
    require(t.image_pair_weight >= 0, "image_pair_weight", t.image_pair_weight, "a number >= 0");
    require(t.style_augment >= 0 && t.style_augment <= 1, "style_augment", t.style_augment,
            "a probability in [0, 1]");
    require(t.mix_style >= 0 && t.mix_style <= 1, "mix_style", t.mix_style,
            "a probability in [0, 1]");
    require(t.mix_style_alpha > 0, "mix_style_alpha", t.mix_style_alpha, positive);
    require(t.texts_per_identity >= 1, "texts_per_identity", t.texts_per_identity, pos);
    require_one_of("sampler", t.sampler, {"balanced", "random"});
    require_one_of("family_by", t.family_by, {"skin_tone", "gender"});
    require(t.text_pair_weight >= 0, "text_pair_weight", t.text_pair_weight, "a number >= 0");
    require(t.vse_warmup_epochs >= 0, "vse_warmup_epochs", t.vse_warmup_epochs, "an integer >= 0");
    require(t.proxy_weight >= 0, "proxy_weight", t.proxy_weight, "a number >= 0");
    require(t.proxy_temperature > 0, "proxy_temperature", t.proxy_temperature, positive);
    require(t.tokenizer_sentences >= 1000, "tokenizer_sentences", t.tokenizer_sentences,
            "an integer >= 1000");
    require_one_of("tokenizer_sampling", t.tokenizer_sampling, {"balanced", "distinct", "uniform"});
    require(t.tokenizer_caption_weight > 0, "tokenizer_caption_weight", t.tokenizer_caption_weight,
            positive);
    require(t.text_epochs >= 0, "text_epochs", t.text_epochs, "an integer >= 0");
    require(t.text_epoch_share > 0 && t.text_epoch_share <= 1, "text_epoch_share",
            t.text_epoch_share, "a number in (0, 1]");
    require(t.text_batch_size >= 2, "text_batch_size", t.text_batch_size, "an integer >= 2");
    require(t.text_lr > 0, "text_lr", t.text_lr, positive);
    require(t.text_embed_lr_scale > 0 && t.text_embed_lr_scale <= 1000, "text_embed_lr_scale",
            t.text_embed_lr_scale, "a number in (0, 1000]");
    require(t.embed_lr_scale > 0 && t.embed_lr_scale <= 1000, "embed_lr_scale", t.embed_lr_scale,
            "a number in (0, 1000]");
    require_one_of("text_target", t.text_target, {"both", "mean_image", "proxy"});
    require(t.text_target == "mean_image" || t.proxy_weight > 0, "text_target", t.text_target,
            "mean_image when proxy_weight is 0 (no proxies are learned)");
    require(t.text_temperature > 0, "text_temperature", t.text_temperature, positive);
    require(t.text_context >= 0 && t.text_context <= 1, "text_context", t.text_context,
            "a probability in [0, 1]");
    require(t.text_fillers >= 0 && t.text_fillers <= 1, "text_fillers", t.text_fillers,
            "a probability in [0, 1]");
    require(t.text_mix >= 0 && t.text_mix <= 1, "text_mix", t.text_mix, "a probability in [0, 1]");
    require_one_of("text_keywords", t.text_keywords, {"family", "all"});
    require(t.text_base_repeat >= 1 && t.text_base_repeat <= 100, "text_base_repeat",
            t.text_base_repeat, "an integer in [1, 100]");
    require(t.text_tone_share > 0 && t.text_tone_share <= 1, "text_tone_share", t.text_tone_share,
            "a number in (0, 1]");
    require_one_of("text_name_keywords", t.text_name_keywords, {"keep", "drop"});
}

}  // namespace qiss
