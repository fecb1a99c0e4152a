#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <random>
#include <sstream>
#include <thread>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "common/error.h"
#include "common/file_util.h"
#include "eval/retrieval_eval.h"
#include "model/model.h"
#include "train/augment.h"
#include "train/losses.h"
#include "train/training_set.h"

namespace qiss {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

fs::path resolve_manifest(const fs::path& corpus) {
    if (fs::is_directory(corpus)) return manifest_path(corpus);
    QISS_CHECK(fs::is_regular_file(corpus),
               "corpus '{}' not found (expected a folder with "
               "manifest.jsonl, or a manifest file)",
               corpus.string());
    return corpus;
}

namespace {

std::string format_duration(double seconds) {
    auto s = static_cast<long>(seconds);
    if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
    return fmt::format("{}m{:02}s", s / 60, s % 60);
}

/// Picks one text describing the group: a caption, one keyword or a few keywords, in
/// `anchor_locale` when given and available, else in a random locale.
std::string sample_text(const TrainingGroup& g, std::mt19937_64& rng,
                        const std::string& anchor_locale) {
    auto pick = [&](std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
    };
    const TrainingGroup::LocaleTexts* chosen = nullptr;
    if (!anchor_locale.empty())
        for (const auto& t : g.texts)
            if (t.locale == anchor_locale) chosen = &t;
    const auto& lt = chosen ? *chosen : g.texts[pick(g.texts.size())];
    std::uniform_real_distribution<double> coin(0, 1);
    if (!lt.captions.empty() && (lt.keywords.empty() || coin(rng) < 0.5))
        return lt.captions[pick(lt.captions.size())];
    if (lt.keywords.size() == 1 || coin(rng) < 0.5) return lt.keywords[pick(lt.keywords.size())];
    std::vector<std::string> kw = lt.keywords;
    std::shuffle(kw.begin(), kw.end(), rng);
    std::size_t n = std::min<std::size_t>(kw.size(), 2 + pick(2));
    std::string out = kw[0];
    for (std::size_t i = 1; i < n; ++i) out += " " + kw[i];
    return out;
}

/// Applies "--set KEY=JSON" overrides: KEY is a TrainConfig field ("proxy_weight") or a path
/// into the model configuration's JSON ("model/preprocess/size").
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
            j[ptr] = nlohmann::json::parse(kv.substr(eq + 1));
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

ValStats validate(Model& model, const TrainingSet& val) {
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
    std::vector<int64_t> text_labels, first_rows, first_labels;
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
    // Image -> image: each image against the others (itself excluded by relabelling).
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

struct Checkpoint {
    fs::path dir;
    fs::path state() const { return dir / "state.json"; }
    fs::path model(int epoch) const { return dir / fmt::format("model-{}.qiss", epoch); }
    fs::path optim(int epoch) const { return dir / fmt::format("optim-{}.pt", epoch); }
};

void set_lr(torch::optim::AdamW& opt, double lr) {
    for (auto& group : opt.param_groups())
        static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

}  // namespace

void train_model(const TrainOptions& o) {
    const auto t_start = Clock::now();
    ModelConfig mc = model_preset(o.preset);
    TrainConfig tc = train_preset(o.preset);
    if (o.epochs) {
        QISS_CHECK(*o.epochs >= 1, "--epochs must be at least 1");
        tc.epochs = *o.epochs;
    }
    if (o.loss) {
        QISS_CHECK(*o.loss == "vse_max" || *o.loss == "infonce",
                   "unknown loss '{}' (expected vse_max or infonce)", *o.loss);
        tc.loss = *o.loss;
    }
    apply_overrides(o.overrides, mc, tc);
    int threads = o.threads > 0 ? o.threads : static_cast<int>(std::thread::hardware_concurrency());
    torch::set_num_threads(std::max(1, threads));
    std::unordered_set<std::string> exclude(o.exclude_langs.begin(), o.exclude_langs.end());

    Manifest manifest = read_manifest(resolve_manifest(o.corpus));
    TrainingSet train =
        load_training_set(manifest.entries, Split::Train, mc.preprocess, exclude, false);
    TrainingSet val =
        load_training_set(manifest.entries, Split::Val, mc.preprocess, exclude, false);
    QISS_CHECK(train.groups.size() >= 2,
               "the corpus has {} usable training identities; need at "
               "least 2 with images and captions",
               train.groups.size());
    const int64_t batch =
        std::min<int64_t>(tc.batch_size, static_cast<int64_t>(train.groups.size()));
    const int64_t n_images = train.pixels.size(0);
    const int passes = std::max<int>(
        1, static_cast<int>(std::lround(static_cast<double>(n_images) / train.groups.size())));
    const int64_t batches_per_pass = static_cast<int64_t>(train.groups.size()) / batch;
    const int64_t steps_per_epoch = passes * batches_per_pass;
    const int64_t total_steps = steps_per_epoch * tc.epochs;
    spdlog::info(
        "training set: {} images, {} identities, {} skipped; val: {} images; "
        "{} steps/epoch of {} identities",
        n_images, train.groups.size(), train.skipped, val.pixels.size(0), steps_per_epoch, batch);

    nlohmann::json signature = {{"config", mc},
                                {"train", tc},
                                {"seed", o.seed},
                                {"exclude_langs", o.exclude_langs},
                                {"train_images", n_images},
                                {"train_groups", train.groups.size()}};
    Checkpoint ck{fs::path(o.out.string() + ".ckpt")};
    int start_epoch = 0;
    double elapsed_before = 0;
    std::optional<Model> model;
    if (fs::exists(ck.state())) {
        auto state = nlohmann::json::parse(read_file_bytes(ck.state()));
        QISS_CHECK(state.at("signature") == signature,
                   "checkpoint {} was made with other settings or another corpus; delete it to "
                   "start over",
                   ck.dir.string());
        start_epoch = state.at("epoch").get<int>();
        elapsed_before = state.at("elapsed_s").get<double>();
        model.emplace(Model::load(ck.model(start_epoch)));
        spdlog::info("resuming from {} after epoch {}", ck.dir.string(), start_epoch);
    } else {
        spdlog::info("training the tokenizer (vocabulary {})", mc.vocab_size);
        TokenizerTrainOptions to;
        to.vocab_size = mc.vocab_size;
        to.character_coverage = mc.char_coverage;
        to.max_sentences = static_cast<std::size_t>(tc.tokenizer_sentences);
        to.seed = static_cast<std::uint32_t>(o.seed);
        to.num_threads = threads;
        Tokenizer tok = Tokenizer::train(all_texts(train), to);
        spdlog::info("tokenizer: {} pieces", tok.vocab_size());
        torch::manual_seed(o.seed);
        model.emplace(mc, std::move(tok));
    }
    Model& m = *model;
    auto& net = m.net();
    // One learned proxy per training identity (see TrainConfig::proxy_weight); saved with the
    // optimizer state so a resumed run continues with the same proxies.
    torch::Tensor proxies =
        torch::randn({static_cast<int64_t>(train.groups.size()), mc.embed_dim}) * 0.01;
    torch::serialize::InputArchive resume_archive;
    if (start_epoch > 0) {
        resume_archive.load_from(ck.optim(start_epoch).string());
        resume_archive.read("proxies", proxies);
    }
    proxies.set_requires_grad(true);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(net->parameters());
    groups.emplace_back(std::vector<torch::Tensor>{proxies},
                        std::make_unique<torch::optim::AdamWOptions>(
                            torch::optim::AdamWOptions(tc.lr).weight_decay(0)));
    torch::optim::AdamW opt(std::move(groups),
                            torch::optim::AdamWOptions(tc.lr).weight_decay(tc.weight_decay));
    if (start_epoch > 0) opt.load(resume_archive);

    auto loss_fn = [&](const torch::Tensor& a, const torch::Tensor& b, int epoch) {
        if (tc.loss == "infonce") return infonce_loss(a, b, tc.temperature);
        return vse_loss(a, b, tc.margin, /*hardest=*/epoch >= tc.vse_warmup_epochs);
    };
    const int64_t warmup_steps = std::max<int64_t>(1, tc.warmup_epochs * steps_per_epoch);
    auto lr_at = [&](int64_t step) {
        if (step < warmup_steps) return tc.lr * (step + 1) / static_cast<double>(warmup_steps);
        double p = static_cast<double>(step - warmup_steps) /
                   std::max<int64_t>(1, total_steps - warmup_steps);
        return tc.lr * (0.02 + 0.98 * 0.5 * (1 + std::cos(std::numbers::pi * p)));
    };

    AugmentOptions aug;
    fs::create_directories(ck.dir);
    const auto t_loop = Clock::now();
    int64_t images_done = 0;
    for (int epoch = start_epoch; epoch < tc.epochs; ++epoch) {
        // Every random choice of an epoch derives from (seed, epoch): a resumed run is
        // identical to an uninterrupted one.
        std::mt19937_64 rng(o.seed * 1000003ULL + epoch);
        torch::manual_seed(o.seed * 1000003ULL + epoch);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed * 7919ULL + epoch);
        net->train();
        double loss_sum = 0;
        int64_t loss_n = 0;
        auto t_log = Clock::now();
        std::vector<std::size_t> order(train.groups.size());
        for (int pass = 0; pass < passes; ++pass) {
            std::iota(order.begin(), order.end(), 0);
            std::shuffle(order.begin(), order.end(), rng);
            for (int64_t b = 0; b < batches_per_pass; ++b) {
                int64_t step =
                    static_cast<int64_t>(epoch) * steps_per_epoch + pass * batches_per_pass + b;
                std::vector<int64_t> rows_a, rows_b, labels;
                const int k_texts = std::max(1, tc.texts_per_identity);
                std::vector<std::string> texts(static_cast<std::size_t>(k_texts * batch));
                for (int64_t i = 0; i < batch; ++i) {
                    const auto& g = train.groups[order[b * batch + i]];
                    labels.push_back(static_cast<int64_t>(order[b * batch + i]));
                    std::uniform_int_distribution<std::size_t> pick(0, g.images.size() - 1);
                    std::size_t ia = pick(rng), ib = pick(rng);
                    if (g.images.size() > 1)
                        while (ib == ia) ib = pick(rng);
                    rows_a.push_back(g.images[ia]);
                    rows_b.push_back(g.images[ib]);
                    // Text slot 0 is in the anchor locale; the others in random locales.
                    for (int k = 0; k < k_texts; ++k)
                        texts[k * batch + i] = sample_text(g, rng, k == 0 ? tc.anchor_locale : "");
                }
                std::vector<int64_t> rows = rows_a;
                rows.insert(rows.end(), rows_b.begin(), rows_b.end());
                auto x = augment_batch(train.pixels.index_select(0, torch::tensor(rows)),
                                       mc.preprocess, aug, gen);
                set_lr(opt, lr_at(step));
                opt.zero_grad();
                auto img = net->image->forward(x);
                auto a = img.slice(0, 0, batch), bb = img.slice(0, batch, 2 * batch);
                auto t = net->text->forward(m.tokenize(texts));
                auto loss = tc.image_pair_weight * loss_fn(a, bb, epoch);
                for (int k = 0; k < k_texts; ++k) {
                    auto tk = t.slice(0, k * batch, (k + 1) * batch);
                    loss = loss + 0.5 / k_texts * (loss_fn(a, tk, epoch) + loss_fn(bb, tk, epoch));
                    if (k > 0)
                        loss = loss + tc.text_pair_weight / (k_texts - 1) *
                                          loss_fn(t.slice(0, 0, batch), tk, epoch);
                }
                if (tc.proxy_weight > 0) {
                    auto lab = torch::tensor(labels, torch::kInt64);
                    loss =
                        loss +
                        0.5 * tc.proxy_weight *
                            (proxy_loss(img, proxies, lab.repeat({2}), tc.proxy_temperature) +
                             proxy_loss(t, proxies, lab.repeat({k_texts}), tc.proxy_temperature));
                }
                loss.backward();
                opt.step();
                loss_sum += loss.item<double>();
                ++loss_n;
                images_done += 2 * batch;
                auto now = Clock::now();
                if (std::chrono::duration<double>(now - t_log).count() >= 15 ||
                    step + 1 == total_steps) {
                    double secs = std::chrono::duration<double>(now - t_loop).count();
                    double rate = images_done / secs;
                    double eta = (total_steps - step - 1) * 2.0 * batch / rate;
                    spdlog::info(
                        "epoch {}/{} step {}/{} loss {:.4f} lr {:.2e} {:.0f} images/s ETA {}",
                        epoch + 1, tc.epochs, step % steps_per_epoch + 1, steps_per_epoch,
                        loss_sum / loss_n, lr_at(step), rate, format_duration(eta));
                    t_log = now;
                }
            }
        }
        ValStats v = validate(m, val);
        double elapsed =
            elapsed_before + std::chrono::duration<double>(Clock::now() - t_start).count();
        spdlog::info(
            "epoch {}/{} done: loss {:.4f}, val text->image R@10 {:.3f}, image->image R@1 "
            "{:.3f}, {} elapsed",
            epoch + 1, tc.epochs, loss_n ? loss_sum / loss_n : 0.0, v.text_r10, v.image_r1,
            format_duration(elapsed));
        // Checkpoint: files of this epoch first, then the state that points at them.
        write_file_atomic(ck.model(epoch + 1), m.to_bytes());
        {
            torch::serialize::OutputArchive ar;
            opt.save(ar);
            ar.write("proxies", proxies.detach());
            std::ostringstream os;
            ar.save_to(os);
            write_file_atomic(ck.optim(epoch + 1), os.str());
        }
        nlohmann::json state = {
            {"signature", signature}, {"epoch", epoch + 1}, {"elapsed_s", elapsed}};
        write_file_atomic(ck.state(), state.dump(2));
        std::error_code ec;
        fs::remove(ck.model(epoch), ec);
        fs::remove(ck.optim(epoch), ec);
        m.training_info()["val"] = {{"text_r10_en", v.text_r10}, {"image_r1", v.image_r1}};
    }

    double total = elapsed_before + std::chrono::duration<double>(Clock::now() - t_start).count();
    auto& info = m.training_info();
    info["command"] = o.command_line;
    info["preset"] = o.preset;
    info["seed"] = o.seed;
    info["epochs"] = tc.epochs;
    info["train_config"] = tc;
    info["exclude_langs"] = o.exclude_langs;
    info["threads"] = threads;
    info["train_images"] = n_images;
    info["train_identities"] = train.groups.size();
    info["train_seconds"] = total;
    m.save(o.out);
    fs::remove_all(ck.dir);
    spdlog::info("wrote {} ({:.1f} MB) after {}", o.out.string(),
                 static_cast<double>(fs::file_size(o.out)) / 1e6, format_duration(total));
}

}  // namespace qiss
