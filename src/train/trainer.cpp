#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <unordered_set>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "common/error.h"
#include "corpus/fillers.h"
#include "eval/calibration_fit.h"
#include "eval/retrieval_eval.h"
#include "model/model.h"
#include "train/augment.h"
#include "train/batch_loss.h"
#include "train/checkpointer.h"
#include "train/name_keywords.h"
#include "train/sampler.h"
#include "train/schedule.h"
#include "train/text_phase.h"
#include "train/training_set.h"

namespace qiss {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string format_duration(double seconds) {
    auto s = static_cast<long>(seconds);
    if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
    return fmt::format("{}m{:02}s", s / 60, s % 60);
}

/// Applies "--set KEY=JSON" overrides: KEY is a TrainConfig field ("proxy_weight") or a path
/// into the model configuration's JSON ("model/preprocess/size"). Values are checked
/// afterwards, all together (validate()).
void apply_overrides(const std::vector<std::string>& overrides, ModelConfig& mc, TrainConfig& tc) {
    for (const auto& kv : overrides) {
        auto eq = kv.find('=');
        QISS_CHECK(eq != std::string::npos, "--set '{}': expected KEY=VALUE", kv);
        std::string key = kv.substr(0, eq);
        bool model_key = key.rfind("model/", 0) == 0;
        nlohmann::json j = model_key ? nlohmann::json(mc) : nlohmann::json(tc);
        try {
            auto ptr = nlohmann::json::json_pointer(model_key ? key.substr(5) : "/" + key);
            QISS_CHECK(j.contains(ptr), "--set '{}': unknown setting '{}'", kv, key);
            // A string setting also takes a bare word: --set loss=infonce.
            std::string value = kv.substr(eq + 1);
            auto parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
            if (parsed.is_discarded() && j[ptr].is_string()) parsed = value;
            QISS_CHECK(!parsed.is_discarded(), "--set '{}': '{}' is not a JSON value", kv, value);
            j[ptr] = parsed;
            if (model_key)
                mc = j.get<ModelConfig>();
            else
                tc = j.get<TrainConfig>();
        } catch (const nlohmann::json::exception& e) {
            QISS_THROW("--set '{}': invalid value: {}", kv, e.what());
        }
    }
}

/// English (else first) caption of each val group vs its images: quick R@10 for the log.
struct ValStats {
    double text_r10 = 0, image_r1 = 0;
};

ValStats validate_epoch(Model& model, const TrainingSet& val) {
    ValStats v;
    if (val.groups.empty()) return v;
    torch::NoGradGuard no_grad;
    model.net()->eval();
    auto x = normalize_pixels(to_unit_float(val.pixels), model.config().preprocess);
    std::vector<torch::Tensor> parts;
    for (int64_t s = 0; s < x.size(0); s += 512)
        parts.push_back(model.net()->image->forward(x.slice(0, s, std::min(x.size(0), s + 512))));
    auto gallery = torch::cat(parts);
    std::vector<int64_t> labels(x.size(0));
    std::vector<std::string> texts;
    std::vector<int64_t> text_labels;
    for (std::size_t gi = 0; gi < val.groups.size(); ++gi) {
        const auto& g = val.groups[gi];
        for (int r : g.images) labels[r] = static_cast<int64_t>(gi);
        const TrainingGroup::LocaleTexts* lt = &g.texts.front();
        for (const auto& t : g.texts)
            if (t.locale == "en") lt = &t;
        if (!lt->captions.empty()) {
            texts.push_back(lt->captions.front());
            text_labels.push_back(static_cast<int64_t>(gi));
        }
    }
    if (!texts.empty())
        v.text_r10 =
            recall_stats(relevant_ranks(model.embed_texts(texts), text_labels, gallery, labels))
                .r10;
    // Image -> image: each image against the others (itself excluded).
    auto scores = gallery.matmul(gallery.t());
    scores.fill_diagonal_(-2);
    auto best = scores.argmax(1);
    auto ba = best.accessor<int64_t, 1>();
    std::size_t hits = 0, n = 0;
    for (int64_t i = 0; i < ba.size(0); ++i) {
        if (val.groups[labels[i]].images.size() < 2) continue;
        ++n;
        hits += labels[ba[i]] == labels[i];
    }
    v.image_r1 = n ? static_cast<double>(hits) / n : 0;
    model.net()->train();
    return v;
}

/// Rate-limited progress lines with an ETA.
class Progress {
  public:
    Progress(std::string unit, int64_t total_steps) : unit_(std::move(unit)), total_(total_steps) {}
    void step(const std::string& where, int64_t global_step, double loss, double lr,
              int64_t items) {
        items_ += items;
        ++steps_;
        if (seconds_since(t_log_) < 15 && global_step + 1 != total_) return;
        double rate = static_cast<double>(items_) / seconds_since(t_start_);
        double eta = static_cast<double>(total_ - global_step - 1) * seconds_since(t_start_) /
                     static_cast<double>(steps_);
        spdlog::info("{} loss {:.4f} lr {:.2e} {:.0f} {}/s ETA {}", where, loss, lr, rate, unit_,
                     format_duration(eta));
        t_log_ = Clock::now();
    }

  private:
    std::string unit_;
    int64_t total_, items_ = 0, steps_ = 0;
    Clock::time_point t_start_ = Clock::now(), t_log_ = Clock::now();
};

struct Setup {
    ModelConfig mc;
    TrainConfig tc;
    int threads = 1;
};

Setup configure(const TrainOptions& o) {
    Setup s{model_preset(o.preset), train_preset(o.preset)};
    if (o.epochs) {
        QISS_CHECK(*o.epochs >= 1, "--epochs must be at least 1");
        s.tc.epochs = *o.epochs;
        s.tc.warmup_epochs = std::min(s.tc.warmup_epochs, s.tc.epochs);
    }
    if (o.loss) s.tc.loss = *o.loss;
    apply_overrides(o.overrides, s.mc, s.tc);
    validate(s.mc, s.tc);
    s.threads = o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency());
    return s;
}

Tokenizer train_tokenizer(const TrainingSet& train, const Setup& s, std::uint64_t seed) {
    spdlog::info("training the tokenizer (vocabulary {}, {} text sample)", s.mc.vocab_size,
                 s.tc.tokenizer_sampling);
    TokenizerTrainOptions to;
    to.vocab_size = s.mc.vocab_size;
    to.character_coverage = s.mc.char_coverage;
    to.byte_fallback = s.mc.byte_fallback;
    to.max_sentences = static_cast<std::size_t>(s.tc.tokenizer_sentences);
    to.seed = static_cast<std::uint32_t>(seed);
    to.num_threads = s.threads;
    Tokenizer tok =
        Tokenizer::train(tokenizer_texts(train, s.tc.tokenizer_sampling, to.max_sentences,
                                         s.tc.tokenizer_caption_weight, seed),
                         to);
    spdlog::info("tokenizer: {} pieces", tok.vocab_size());
    return tok;
}

/// Optimizer parameter groups for `params` with the token embeddings (names starting with
/// `embed_prefix`) in a first group of their own when `scale` is not 1, and everything else in the
/// next: one group without a scale, as in the checkpoints written before the scales existed.
/// `group_scale` receives the learning-rate multiple of each leading group (set_lr).
std::vector<torch::optim::OptimizerParamGroup> embedding_groups(
    const torch::OrderedDict<std::string, torch::Tensor>& params, const std::string& embed_prefix,
    double scale, std::vector<double>& group_scale) {
    std::vector<torch::Tensor> embeddings, rest;
    for (const auto& p : params)
        (scale != 1 && p.key().starts_with(embed_prefix) ? embeddings : rest).push_back(p.value());
    std::vector<torch::optim::OptimizerParamGroup> groups;
    if (!embeddings.empty()) {
        groups.emplace_back(embeddings);
        group_scale.push_back(scale);
    }
    groups.emplace_back(rest);
    return groups;
}

/// One epoch of the joint phase; returns the mean loss.
double run_joint_epoch(Model& m, JointSampler& sampler, const TrainingSet& train,
                       const TrainConfig& tc, torch::optim::AdamW& opt,
                       const torch::Tensor& proxies, const LrSchedule& schedule,
                       const std::vector<double>& group_scale, int epoch, std::uint64_t seed,
                       Progress& progress) {
    // Every random choice of an epoch derives from (seed, epoch): a resumed run is identical
    // to an uninterrupted one.
    torch::manual_seed(seed * 1000003ULL + epoch);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed * 7919ULL + epoch);
    AugmentOptions aug;
    aug.style_p = tc.style_augment;
    auto& net = m.net();
    net->train();
    sampler.start_epoch(epoch);
    const int64_t steps = sampler.steps_per_epoch();
    double loss_sum = 0;
    for (int64_t b = 0; b < steps; ++b) {
        const int64_t step = static_cast<int64_t>(epoch) * steps + b;
        JointBatch batch = sampler.batch(b);
        auto x = augment_batch(train.pixels.index_select(0, torch::tensor(batch.rows)),
                               m.config().preprocess, aug, gen);
        set_lr(opt, schedule.at(step), group_scale);
        opt.zero_grad();
        auto img = net->image->forward(x);
        auto txt = encode_texts_bucketed(m, batch.texts);
        auto loss =
            joint_loss(tc, img, txt, torch::tensor(batch.labels, torch::kInt64), proxies, epoch);
        loss.backward();
        opt.step();
        loss_sum += loss.item<double>();
        progress.step(fmt::format("epoch {}/{} step {}/{}", epoch + 1, tc.epochs, b + 1, steps),
                      step, loss_sum / static_cast<double>(b + 1), schedule.at(step),
                      static_cast<int64_t>(batch.rows.size()));
    }
    return loss_sum / static_cast<double>(steps);
}

/// Whether a checkpoint's signature belongs to this run. Settings a file lacks read as their
/// defaults (a checkpoint written before a setting existed); until the text phase has started,
/// its settings may change (e.g. a shorter text phase after the joint epochs).
bool same_run(const nlohmann::json& saved, const nlohmann::json& now, bool before_text_phase) {
    nlohmann::json a = saved, b = now;
    try {
        a["config"] = a.at("config").get<ModelConfig>();
        a["train"] = a.at("train").get<TrainConfig>();
    } catch (const nlohmann::json::exception&) {
        return false;
    }
    // How the final file stores its weights, the identity anchors attached after the last
    // epoch and the query rules do not change training.
    for (auto* j : {&a, &b}) {
        (*j)["config"].erase("weight_dtype");
        for (const char* key : {"anchor_weight", "anchor_temperature"})
            (*j)["config"]["image"].erase(key);
        (*j)["config"]["text"].erase("word_weight");
    }
    if (before_text_phase)
        for (const char* key :
             {"text_epochs", "text_epoch_share", "text_batch_size", "text_lr", "text_target",
              "text_temperature", "text_context", "text_fillers", "text_mix", "text_keywords",
              "text_embed_lr_scale", "text_base_repeat", "text_tone_share", "text_name_keywords"}) {
            a["train"].erase(key);
            b["train"].erase(key);
        }
    return a == b;
}

}  // namespace

void train_model(const TrainOptions& o) {
    const auto t_start = Clock::now();
    const Setup s = configure(o);
    const ModelConfig& mc = s.mc;
    const TrainConfig& tc = s.tc;
    torch::set_num_threads(std::max(1, s.threads));
    std::unordered_set<std::string> exclude(o.exclude_langs.begin(), o.exclude_langs.end());

    const auto manifest_file = resolve_manifest(o.corpus);
    Manifest manifest = read_manifest(manifest_file);
    // Read before the joint phase, so that a missing file fails at once, not an hour later.
    FillerWords fillers;
    if (tc.text_fillers > 0 && tc.text_epochs > 0) {
        const auto path = manifest_file.parent_path() / kFillersFile;
        QISS_CHECK(std::filesystem::is_regular_file(path),
                   "text_fillers needs the corpus's filler words, {} (qiss corpus emoji writes "
                   "it; docs/format.md, \"Filler words\")",
                   path.string());
        fillers = read_fillers(path);
    }
    if (!o.exclude_vendors.empty()) {
        std::erase_if(manifest.entries, [&](const ManifestEntry& e) {
            return std::find(o.exclude_vendors.begin(), o.exclude_vendors.end(), e.vendor) !=
                   o.exclude_vendors.end();
        });
    }
    TrainingSet train =
        load_training_set(manifest.entries, Split::Train, mc.preprocess, exclude, false);
    TrainingSet val =
        load_training_set(manifest.entries, Split::Val, mc.preprocess, exclude, false);
    QISS_CHECK(train.groups.size() >= 2,
               "the corpus has {} usable training identities; need at "
               "least 2 with images and captions",
               train.groups.size());
    JointSampler sampler(train, tc, o.seed);
    const int64_t n_images = train.pixels.size(0);
    const int64_t steps_per_epoch = sampler.steps_per_epoch();
    // The text phase's view of the training set: without the keywords that name another
    // identity (text_name_keywords "drop"); the images, and so the targets, are train's.
    std::optional<TrainingSet> named;
    if (tc.text_epochs > 0 && tc.text_name_keywords == "drop") {
        named = train;
        spdlog::info("text phase: {} keywords that are another identity's caption left out",
                     drop_other_names(*named));
    }
    const TrainingSet& text_set = named ? *named : train;
    const std::vector<TextItem> items =
        tc.text_epochs > 0 ? all_text_items(text_set, tc.text_keywords) : std::vector<TextItem>{};
    const std::size_t texts_per_epoch = text_epoch_size(text_set, items, tc);
    const int64_t text_steps = text_steps_per_epoch(texts_per_epoch, tc);
    spdlog::info(
        "training set: {} images, {} identities, {} skipped; val: {} images; "
        "{} steps/epoch of {} identities; text phase: {} epochs of {} steps ({} texts)",
        n_images, train.groups.size(), train.skipped, val.pixels.size(0), steps_per_epoch,
        sampler.batch_size(), tc.text_epochs, text_steps, texts_per_epoch);

    nlohmann::json signature = {{"config", mc},
                                {"train", tc},
                                {"seed", o.seed},
                                {"exclude_langs", o.exclude_langs},
                                {"exclude_vendors", o.exclude_vendors},
                                {"train_images", n_images},
                                {"train_groups", train.groups.size()}};
    Checkpointer ck(fs::path(o.out.string() + ".ckpt"), signature,
                    [&](const nlohmann::json& saved, int epoch) {
                        return same_run(saved, signature, epoch <= tc.epochs);
                    });
    auto saved = ck.last();
    const int start_epoch = saved ? saved->epoch : 0;
    const double elapsed_before = saved ? saved->elapsed_s : 0;
    std::optional<Model> model;
    if (saved) {
        model.emplace(ck.load_model(start_epoch));
        model->set_weight_dtype(mc.weight_dtype);  // a checkpoint may predate the setting
        spdlog::info("resuming from {} after epoch {}", ck.dir().string(), start_epoch);
    } else {
        Tokenizer tok = train_tokenizer(train, s, o.seed);
        torch::manual_seed(o.seed);
        model.emplace(mc, std::move(tok));
    }
    Model& m = *model;
    auto& net = m.net();
    net->image->set_mix_style(tc.mix_style, tc.mix_style_alpha);
    // One learned proxy per training identity (TrainConfig::proxy_weight); saved with the
    // optimizer state so a resumed run continues with the same proxies.
    torch::Tensor proxies =
        torch::randn({static_cast<int64_t>(train.groups.size()), mc.embed_dim}) * 0.01;
    std::optional<torch::serialize::InputArchive> resume;
    if (start_epoch > 0) {
        resume.emplace(ck.load_optimizer(start_epoch));
        resume->read("proxies", proxies);
    }
    auto finish_epoch = [&](int epoch, double loss, const torch::optim::AdamW& opt) {
        ValStats v = validate_epoch(m, val);
        double elapsed = elapsed_before + seconds_since(t_start);
        spdlog::info(
            "epoch {}/{} done: loss {:.4f}, val text->image R@10 {:.3f}, image->image R@1 "
            "{:.3f}, {} elapsed",
            epoch + 1, tc.epochs + tc.text_epochs, loss, v.text_r10, v.image_r1,
            format_duration(elapsed));
        m.training_info()["val"] = {{"text_r10_en", v.text_r10}, {"image_r1", v.image_r1}};
        ck.save(epoch + 1, elapsed, m, opt, proxies);
    };

    if (start_epoch < tc.epochs) {
        proxies.set_requires_grad(true);
        // The network (token embeddings apart with embed_lr_scale), then the proxies.
        std::vector<double> group_scale;
        auto groups = embedding_groups(net->named_parameters(), "text.embed.", tc.embed_lr_scale,
                                       group_scale);
        groups.emplace_back(std::vector<torch::Tensor>{proxies},
                            std::make_unique<torch::optim::AdamWOptions>(
                                torch::optim::AdamWOptions(tc.lr).weight_decay(0)));
        torch::optim::AdamW opt(std::move(groups),
                                torch::optim::AdamWOptions(tc.lr).weight_decay(tc.weight_decay));
        if (resume) opt.load(*resume);
        const LrSchedule schedule(tc.lr, tc.warmup_epochs * steps_per_epoch,
                                  tc.epochs * steps_per_epoch);
        Progress progress("images", tc.epochs * steps_per_epoch);
        for (int epoch = start_epoch; epoch < tc.epochs; ++epoch) {
            double loss = run_joint_epoch(m, sampler, train, tc, opt, proxies, schedule,
                                          group_scale, epoch, o.seed, progress);
            finish_epoch(epoch, loss, opt);
        }
        proxies = proxies.detach();
    }

    if (tc.text_epochs > 0) {
        // Locked-image phase: the image branch (and the proxies) are fixed from here on.
        torch::Tensor targets = identity_targets(m, train, proxies, tc.text_target);
        std::vector<double> group_scale;
        torch::optim::AdamW opt(
            embedding_groups(net->text->named_parameters(), "embed.", tc.text_embed_lr_scale,
                             group_scale),
            torch::optim::AdamWOptions(tc.text_lr).weight_decay(tc.weight_decay));
        if (resume && start_epoch > tc.epochs) opt.load(*resume);
        const LrSchedule schedule(tc.text_lr, std::max<int64_t>(1, text_steps / 10),
                                  tc.text_epochs * text_steps);
        const TextContext context(text_set, tc.text_context, fillers, tc.text_fillers);
        const TextMix mix(text_set, tc.text_mix);
        if (tc.text_fillers > 0)
            spdlog::info("text phase: filler words for {} of the training set's locales",
                         context.filler_locales());
        Progress progress("texts", tc.text_epochs * text_steps);
        for (int te = std::max(0, start_epoch - tc.epochs); te < tc.text_epochs; ++te) {
            const int epoch = tc.epochs + te;
            double loss = run_text_epoch(
                m, text_set, items, context, mix, targets, tc, opt, schedule, group_scale, te,
                o.seed, [&](int64_t step, double mean_loss, int64_t) {
                    const int64_t global = static_cast<int64_t>(te) * text_steps + step;
                    progress.step(fmt::format("text epoch {}/{} step {}/{}", te + 1, tc.text_epochs,
                                              step + 1, text_steps),
                                  global, mean_loss, schedule.at(global), tc.text_batch_size);
                });
            finish_epoch(epoch, loss, opt);
        }
    }

    double total = elapsed_before + seconds_since(t_start);
    auto& info = m.training_info();
    info["command"] = o.command_line;
    info["preset"] = o.preset;
    info["seed"] = o.seed;
    info["epochs"] = tc.epochs;
    info["train_config"] = tc;
    info["exclude_langs"] = o.exclude_langs;
    info["exclude_vendors"] = o.exclude_vendors;
    info["threads"] = s.threads;
    info["train_images"] = n_images;
    info["train_identities"] = train.groups.size();
    info["train_seconds"] = total;
    net->eval();
    if (mc.anchor_weight > 0) {
        m.set_anchors(proxies, mc.anchor_temperature, mc.anchor_weight);
        spdlog::info("identity anchors: the {} proxies (temperature {}, weight {})",
                     proxies.size(0), mc.anchor_temperature, mc.anchor_weight);
    }
    // Relevance calibration (issue 13): fitted on the validation drawings, never the test split,
    // with the anchors (they move image embeddings).
    try {
        m.set_calibration(fit_calibration(m, manifest.entries));
    } catch (const Error& e) {
        spdlog::warn("no relevance calibration: {}", e.what());
    }
    m.save(o.out);
    ck.remove();
    spdlog::info("wrote {} ({:.1f} MB) after {}", o.out.string(),
                 static_cast<double>(fs::file_size(o.out)) / 1e6, format_duration(total));
}

}  // namespace qiss
