#include "model/model_config.h"

#include "common/error.h"

namespace qiss {

ModelConfig model_preset(const std::string& name) {
    ModelConfig c;
    c.preset = name;
    if (name == "default") return c;
    if (name == "tiny") {
        c.cnn_channels = {16, 32, 64, 128};
        c.vocab_size = 4000;
        c.char_coverage = 0.995;
        c.token_dim = 128;
        c.gru_hidden = 128;
        c.gru_layers = 1;
        c.max_tokens = 24;
        return c;
    }
    QISS_THROW("unknown model config '{}' (expected tiny or default)", name);
}

TrainConfig train_preset(const std::string& name) {
    TrainConfig t;
    if (name == "default") return t;
    if (name == "tiny") {
        t.epochs = 3;
        t.batch_size = 128;
        t.texts_per_identity = 2;
        t.lr = 3e-3f;
        t.vse_warmup_epochs = 1;
        t.tokenizer_sentences = 60000;
        return t;
    }
    QISS_THROW("unknown model config '{}' (expected tiny or default)", name);
}

void to_json(nlohmann::json& j, const ImagePreprocess& p) {
    j = {{"size", p.size}, {"resize", "fit_square_white"}, {"mean", p.mean}, {"std", p.std}};
}

void from_json(const nlohmann::json& j, ImagePreprocess& p) {
    j.at("size").get_to(p.size);
    j.at("mean").get_to(p.mean);
    j.at("std").get_to(p.std);
    QISS_CHECK(j.value("resize", "") == "fit_square_white", "unsupported resize mode '{}'",
               j.value("resize", ""));
}

void to_json(nlohmann::json& j, const ModelConfig& c) {
    j = {{"preset", c.preset},
         {"embed_dim", c.embed_dim},
         {"preprocess", c.preprocess},
         {"image",
          {{"cnn_channels", c.cnn_channels},
           {"cnn_blocks", c.cnn_blocks},
           {"weldon_k", c.weldon_k},
           {"weldon_alpha", c.weldon_alpha}}},
         {"text",
          {{"rnn", c.rnn},
           {"vocab_size", c.vocab_size},
           {"char_coverage", c.char_coverage},
           {"token_dim", c.token_dim},
           {"gru_hidden", c.gru_hidden},
           {"gru_layers", c.gru_layers},
           {"max_tokens", c.max_tokens},
           {"dropout", c.dropout}}}};
}

void from_json(const nlohmann::json& j, ModelConfig& c) {
    j.at("preset").get_to(c.preset);
    j.at("embed_dim").get_to(c.embed_dim);
    j.at("preprocess").get_to(c.preprocess);
    const auto& im = j.at("image");
    im.at("cnn_channels").get_to(c.cnn_channels);
    im.at("cnn_blocks").get_to(c.cnn_blocks);
    im.at("weldon_k").get_to(c.weldon_k);
    im.at("weldon_alpha").get_to(c.weldon_alpha);
    const auto& t = j.at("text");
    c.rnn = t.value("rnn", "gru");  // files written before the choice existed used a GRU
    QISS_CHECK(c.rnn == "gru" || c.rnn == "sru", "unknown text encoder '{}'", c.rnn);
    t.at("vocab_size").get_to(c.vocab_size);
    t.at("char_coverage").get_to(c.char_coverage);
    t.at("token_dim").get_to(c.token_dim);
    t.at("gru_hidden").get_to(c.gru_hidden);
    t.at("gru_layers").get_to(c.gru_layers);
    t.at("max_tokens").get_to(c.max_tokens);
    t.at("dropout").get_to(c.dropout);
}

void to_json(nlohmann::json& j, const TrainConfig& c) {
    j = {{"epochs", c.epochs},
         {"batch_size", c.batch_size},
         {"lr", c.lr},
         {"weight_decay", c.weight_decay},
         {"warmup_epochs", c.warmup_epochs},
         {"loss", c.loss},
         {"margin", c.margin},
         {"temperature", c.temperature},
         {"image_pair_weight", c.image_pair_weight},
         {"texts_per_identity", c.texts_per_identity},
         {"anchor_locale", c.anchor_locale},
         {"text_pair_weight", c.text_pair_weight},
         {"vse_warmup_epochs", c.vse_warmup_epochs},
         {"proxy_weight", c.proxy_weight},
         {"proxy_temperature", c.proxy_temperature},
         {"tokenizer_sentences", c.tokenizer_sentences}};
}

void from_json(const nlohmann::json& j, TrainConfig& c) {
    j.at("epochs").get_to(c.epochs);
    j.at("batch_size").get_to(c.batch_size);
    j.at("lr").get_to(c.lr);
    j.at("weight_decay").get_to(c.weight_decay);
    j.at("warmup_epochs").get_to(c.warmup_epochs);
    j.at("loss").get_to(c.loss);
    j.at("margin").get_to(c.margin);
    j.at("temperature").get_to(c.temperature);
    j.at("image_pair_weight").get_to(c.image_pair_weight);
    j.at("texts_per_identity").get_to(c.texts_per_identity);
    j.at("anchor_locale").get_to(c.anchor_locale);
    j.at("text_pair_weight").get_to(c.text_pair_weight);
    j.at("vse_warmup_epochs").get_to(c.vse_warmup_epochs);
    c.proxy_weight = j.value("proxy_weight", 0.0f);  // absent in models trained before it existed
    c.proxy_temperature = j.value("proxy_temperature", c.proxy_temperature);
    j.at("tokenizer_sentences").get_to(c.tokenizer_sentences);
}

}  // namespace qiss
