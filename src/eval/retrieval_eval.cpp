#include "eval/retrieval_eval.h"

#include <algorithm>
#include <limits>
#include <set>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "corpus/skin_tone.h"
#include "eval/embedding_dump.h"
#include "image/image_io.h"

namespace qiss {

std::vector<int64_t> relevant_ranks(const torch::Tensor& queries,
                                    const std::vector<int64_t>& query_labels,
                                    const torch::Tensor& gallery,
                                    const std::vector<int64_t>& gallery_labels) {
    QISS_ASSERT(queries.size(0) == static_cast<int64_t>(query_labels.size()));
    QISS_ASSERT(gallery.size(0) == static_cast<int64_t>(gallery_labels.size()));
    torch::NoGradGuard no_grad;
    auto glabels = torch::tensor(gallery_labels, torch::kInt64).unsqueeze(0);
    auto qlabels = torch::tensor(query_labels, torch::kInt64).unsqueeze(1);
    std::vector<int64_t> ranks;
    ranks.reserve(query_labels.size());
    const int64_t chunk = 1024;
    for (int64_t s = 0; s < queries.size(0); s += chunk) {
        int64_t e = std::min(queries.size(0), s + chunk);
        auto scores = queries.slice(0, s, e).matmul(gallery.t());  // [c,G]
        auto relevant = qlabels.slice(0, s, e) == glabels;
        auto best = scores.masked_fill(~relevant, -std::numeric_limits<float>::infinity()).amax(1);
        auto r = (scores > best.unsqueeze(1)).sum(1) + 1;
        auto none = ~relevant.any(1);
        r.masked_fill_(none, gallery.size(0) + 1);
        auto ra = r.accessor<int64_t, 1>();
        for (int64_t i = 0; i < ra.size(0); ++i) ranks.push_back(ra[i]);
    }
    return ranks;
}

RecallStats recall_stats(std::vector<int64_t> ranks) {
    RecallStats s;
    s.queries = ranks.size();
    if (ranks.empty()) return s;
    for (auto r : ranks) {
        s.r1 += r <= 1;
        s.r5 += r <= 5;
        s.r10 += r <= 10;
    }
    double n = static_cast<double>(ranks.size());
    s.r1 /= n;
    s.r5 /= n;
    s.r10 /= n;
    std::sort(ranks.begin(), ranks.end());
    std::size_t m = ranks.size() / 2;
    s.median_rank = ranks.size() % 2 ? static_cast<double>(ranks[m])
                                     : 0.5 * static_cast<double>(ranks[m - 1] + ranks[m]);
    return s;
}

torch::Tensor embed_image_files(Model& model, const std::vector<const ManifestEntry*>& entries,
                                int batch_size, std::vector<std::size_t>& kept) {
    kept.clear();
    std::vector<torch::Tensor> parts;
    for (std::size_t start = 0; start < entries.size(); start += batch_size) {
        std::size_t end = std::min(entries.size(), start + batch_size);
        std::vector<cv::Mat> images(end - start);
        std::vector<std::string> errors(end - start);
#pragma omp parallel for schedule(dynamic, 8)
        for (std::size_t i = start; i < end; ++i) {
            try {
                images[i - start] = read_image(entries[i]->path).rgb;
            } catch (const std::exception& e) {
                errors[i - start] = e.what();
            }
        }
        std::vector<cv::Mat> good;
        for (std::size_t i = start; i < end; ++i) {
            if (images[i - start].empty()) {
                spdlog::warn("skipping {}", errors[i - start]);
                continue;
            }
            good.push_back(images[i - start]);
            kept.push_back(i);
        }
        if (!good.empty()) parts.push_back(model.embed_images(good));
    }
    if (parts.empty()) return torch::empty({0, model.dim()});
    return torch::cat(parts);
}

EmbeddedGallery embed_gallery(Model& model, const std::vector<const ManifestEntry*>& entries,
                              int batch_size) {
    EmbeddedGallery g;
    std::vector<std::size_t> kept;
    g.vectors = embed_image_files(model, entries, batch_size, kept);
    for (auto i : kept) {
        g.labels.push_back(g.label_of.try_emplace(entries[i]->id, g.label_of.size()).first->second);
        g.entries.push_back(entries[i]);
    }
    return g;
}

namespace {

void accumulate(RecallStats& mean, const RecallStats& s) {
    mean.r1 += s.r1;
    mean.r5 += s.r5;
    mean.r10 += s.r10;
    mean.median_rank += s.median_rank;
    mean.queries += s.queries;
}

nlohmann::json stats_json(const RecallStats& s, bool with_median) {
    nlohmann::json j = {{"r1", s.r1}, {"r5", s.r5}, {"r10", s.r10}, {"queries", s.queries}};
    if (with_median) j["median_rank"] = s.median_rank;
    return j;
}

void divide(RecallStats& mean, std::size_t n) {
    if (n == 0) return;
    const auto d = static_cast<double>(n);
    mean.r1 /= d;
    mean.r5 /= d;
    mean.r10 /= d;
    mean.median_rank /= d;
}

}  // namespace

TokenStats token_stats(const Model& model, const std::vector<std::string>& texts) {
    TokenStats t;
    if (texts.empty()) return t;
    std::size_t pieces = 0, unknown = 0, bytes = 0, truncated = 0;
    for (const auto& text : texts) {
        auto s = model.piece_stats(text);
        pieces += static_cast<std::size_t>(s.pieces);
        unknown += static_cast<std::size_t>(s.unknown);
        bytes += static_cast<std::size_t>(s.bytes);
        truncated += s.pieces > model.max_text_pieces();
    }
    const double p = static_cast<double>(std::max<std::size_t>(1, pieces));
    t.unk_rate = static_cast<double>(unknown) / p;
    t.byte_rate = static_cast<double>(bytes) / p;
    t.truncated_rate = static_cast<double>(truncated) / static_cast<double>(texts.size());
    t.mean_pieces = static_cast<double>(pieces) / static_cast<double>(texts.size());
    return t;
}

nlohmann::json EvalReport::to_json() const {
    nlohmann::json per = nlohmann::json::object();
    for (const auto& [loc, s] : text_to_image) {
        per[loc] = stats_json(s, true);
        if (auto t = tokens.find(loc); t != tokens.end()) {
            per[loc]["unk_rate"] = t->second.unk_rate;
            per[loc]["byte_rate"] = t->second.byte_rate;
            per[loc]["truncated_rate"] = t->second.truncated_rate;
            per[loc]["mean_pieces"] = t->second.mean_pieces;
        }
    }
    auto large = stats_json(text_to_image_mean_large, true);
    large["locales"] = large_locales;
    return {{"text_to_image", per},
            {"text_to_image_mean", stats_json(text_to_image_mean, true)},
            {"text_to_image_mean_1000", large},
            {"image_to_image", stats_json(image_to_image, false)},
            {"image_to_image_skin_tones_merged", stats_json(image_to_image_merged, false)},
            {"gallery", gallery},
            {"gallery_size", gallery_size},
            {"relevance", relevance ? relevance->to_json() : nlohmann::json()}};
}

EvalReport evaluate(Model& model, const std::vector<ManifestEntry>& entries,
                    const EvalOptions& opt) {
    EvalReport report;
    const auto& calibration = model.calibration();
    if (calibration && calibration->text && calibration->image) report.relevance.emplace();
    std::vector<const ManifestEntry*> gallery_entries;
    const bool by_vendor = !opt.gallery_vendor.empty();
    report.gallery = by_vendor ? "vendor " + opt.gallery_vendor
                               : std::string("split ") + split_name(opt.gallery_split);
    for (const auto& e : entries)
        if (by_vendor ? e.vendor == opt.gallery_vendor : e.split == opt.gallery_split)
            gallery_entries.push_back(&e);
    QISS_CHECK(!gallery_entries.empty(), "the manifest has no images of {} to evaluate on",
               report.gallery);
    QISS_CHECK(opt.query_vendor.empty() || opt.query_vendor != opt.gallery_vendor,
               "--query-vendor must differ from the gallery vendor ({})", opt.gallery_vendor);

    EmbeddedGallery g = embed_gallery(model, gallery_entries, opt.batch_size);
    const torch::Tensor& gallery = g.vectors;
    const auto& label_of = g.label_of;
    const std::vector<int64_t>& gallery_labels = g.labels;
    const std::vector<const ManifestEntry*>& gallery_kept = g.entries;
    std::vector<std::size_t> kept;
    report.gallery_size = gallery_labels.size();
    QISS_CHECK(report.gallery_size > 0, "no gallery image could be read");
    std::vector<std::string> id_of_label(label_of.size());
    for (const auto& [id, label] : label_of) id_of_label[static_cast<std::size_t>(label)] = id;
    const auto dump = [&](const std::string& name, const torch::Tensor& vectors,
                          const std::vector<int64_t>& labels, std::vector<std::string> sources) {
        if (opt.dump_dir.empty()) return;
        std::vector<std::string> ids;
        for (int64_t l : labels) ids.push_back(id_of_label[static_cast<std::size_t>(l)]);
        write_dumped_rows(opt.dump_dir, {name, vectors, std::move(ids), std::move(sources)});
    };
    {
        std::vector<std::string> paths;
        for (const auto* e : gallery_kept) paths.push_back(e->path.string());
        dump("gallery", gallery, gallery_labels, std::move(paths));
    }

    // Text -> image: the primary caption of each gallery identity, per locale.
    std::set<std::string> wanted(opt.locales.begin(), opt.locales.end());
    std::map<std::string, std::pair<std::vector<std::string>, std::vector<int64_t>>> queries;
    std::set<std::string> seen;  // (locale, id) once
    for (const auto* e : gallery_kept)
        for (const auto& [loc, caps] : e->captions()) {
            if (caps.empty() || (!wanted.empty() && !wanted.count(loc))) continue;
            if (!seen.insert(loc + '\n' + e->id).second) continue;
            queries[loc].first.push_back(caps.front());
            queries[loc].second.push_back(label_of.at(e->id));
        }
    for (const auto& loc : wanted)
        QISS_CHECK(queries.count(loc), "no caption in locale '{}' for the gallery", loc);
    for (const auto& [loc, q] : queries) {
        std::vector<torch::Tensor> parts;
        for (std::size_t s = 0; s < q.first.size(); s += opt.batch_size) {
            std::vector<std::string> texts(
                q.first.begin() + s,
                q.first.begin() + std::min(q.first.size(), s + opt.batch_size));
            parts.push_back(model.embed_texts(texts));
        }
        auto embedded = torch::cat(parts);
        dump("text_" + loc, embedded, q.second, q.first);
        auto stats = recall_stats(relevant_ranks(embedded, q.second, gallery, gallery_labels));
        if (report.relevance)
            report.relevance->text[loc] =
                cut_stats(*calibration->text, embedded, q.second, gallery, gallery_labels);
        report.text_to_image[loc] = stats;
        report.tokens[loc] = token_stats(model, q.first);
        accumulate(report.text_to_image_mean, stats);
        if (stats.queries >= 1000) {
            accumulate(report.text_to_image_mean_large, stats);
            ++report.large_locales;
        }
    }
    divide(report.text_to_image_mean, report.text_to_image.size());
    if (report.relevance) {
        std::vector<std::vector<CutStats>> all;
        for (const auto& [loc, cuts] : report.relevance->text) all.push_back(cuts);
        report.relevance->text_all = pool_cut_stats(all);
    }
    divide(report.text_to_image_mean_large, report.large_locales);

    // Image -> image: the query vendor's image of each gallery identity.
    if (!opt.query_vendor.empty()) {
        std::vector<const ManifestEntry*> query_entries;
        for (const auto& e : entries)
            if (e.vendor == opt.query_vendor && (by_vendor || e.split != opt.gallery_split) &&
                label_of.count(e.id))
                query_entries.push_back(&e);
        if (!query_entries.empty()) {
            torch::Tensor q = embed_image_files(model, query_entries, opt.batch_size, kept);
            std::vector<int64_t> labels;
            for (auto i : kept) labels.push_back(label_of.at(query_entries[i]->id));
            report.image_to_image =
                recall_stats(relevant_ranks(q, labels, gallery, gallery_labels));
            std::vector<std::string> paths;
            for (auto i : kept) paths.push_back(query_entries[i]->path.string());
            dump("image_queries", q, labels, std::move(paths));
            if (report.relevance)
                report.relevance->image =
                    cut_stats(*calibration->image, q, labels, gallery, gallery_labels);
            std::unordered_map<std::string, int64_t> family_of;
            auto family = [&](const std::string& id) {
                return family_of.try_emplace(without_skin_tones(id), family_of.size())
                    .first->second;
            };
            std::vector<int64_t> gallery_families, query_families;
            for (const auto* e : gallery_kept) gallery_families.push_back(family(e->id));
            for (auto i : kept) query_families.push_back(family(query_entries[i]->id));
            report.image_to_image_merged =
                recall_stats(relevant_ranks(q, query_families, gallery, gallery_families));
        }
    }
    return report;
}

}  // namespace qiss
