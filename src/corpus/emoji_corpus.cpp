#include "corpus/emoji_corpus.h"

#include <algorithm>
#include <array>
#include <memory>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "corpus/emoji_styles.h"
#include "corpus/style_cache.h"
#include "corpus/tone_audit.h"
#include "text/utf8.h"

namespace qiss {
namespace fs = std::filesystem;
using nlohmann::json;

std::string utf8_from_unified(const std::string& unified) {
    std::string out;
    std::size_t pos = 0;
    while (pos < unified.size()) {
        std::size_t end = unified.find('-', pos);
        if (end == std::string::npos) end = unified.size();
        append_utf8(static_cast<char32_t>(std::stoul(unified.substr(pos, end - pos), nullptr, 16)),
                    out);
        pos = end + 1;
    }
    return out;
}

namespace {

const std::string kFE0F = "\xEF\xB8\x8F";

std::string strip_fe0f(std::string s) {
    for (std::size_t p; (p = s.find(kFE0F)) != std::string::npos;) s.erase(p, kFE0F.size());
    return s;
}

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

void add_unique(std::vector<std::string>& to, const json& list) {
    if (!list.is_array()) return;
    for (const auto& t : list) {
        if (!t.is_string()) continue;
        std::string s = trim(t.get<std::string>());
        if (!s.empty() && std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
    }
}

/// Reads every locale's annotations of one CLDR package into `by_char` (keyed by the emoji
/// with U+FE0F removed). Returns the locales seen.
std::set<std::string> read_cldr(const fs::path& root, const char* key,
                                std::unordered_map<std::string, EntryTexts>& by_char) {
    std::set<std::string> locales;
    QISS_CHECK(fs::is_directory(root), "{} not found: run scripts/install-deps.sh", root.string());
    for (const auto& dir : fs::directory_iterator(root)) {
        fs::path file = dir.path() / "annotations.json";
        if (!fs::is_regular_file(file)) continue;
        std::string locale = dir.path().filename().string();
        json j;
        try {
            j = json::parse(read_file_bytes(file));
        } catch (const json::exception& e) {
            spdlog::warn("skipping {}: {}", file.string(), e.what());
            continue;
        }
        const json* ann = j.contains(key) ? &(*j.find(key)) : nullptr;
        if (!ann || !ann->contains("annotations")) continue;
        locales.insert(locale);
        for (const auto& [chars, v] : ann->at("annotations").items()) {
            EntryTexts& t = by_char[strip_fe0f(chars)];
            if (v.contains("tts")) add_unique(t.captions[locale], v["tts"]);
            if (v.contains("default")) add_unique(t.keywords[locale], v["default"]);
        }
    }
    return locales;
}

/// Deterministic in (id, seed): FNV-1a.
double unit_hash(const std::string& id, std::uint64_t seed) {
    std::uint64_t h = 1469598103934665603ULL ^ seed;
    for (unsigned char c : id) h = (h ^ c) * 1099511628211ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return static_cast<double>(h >> 11) / static_cast<double>(1ULL << 53);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

}  // namespace

std::vector<std::string> default_emoji_styles() {
    std::vector<std::string> names;
    for (const auto& s : emoji_styles()) names.push_back(s.vendor);
    return names;
}

namespace {

/// The style named `name`; throws qiss::Error for an unknown name.
const EmojiStyle* find_style(const std::string& name) {
    auto it = std::find_if(emoji_styles().begin(), emoji_styles().end(),
                           [&](const EmojiStyle& s) { return s.vendor == name; });
    QISS_CHECK(it != emoji_styles().end(), "unknown drawing style '{}' (known: {})", name,
               fmt::join(default_emoji_styles(), ", "));
    return &*it;
}

/// The vendors of the kValDrawings drawings of a held-out identity that become validation
/// images: those with the lowest hash of (id, vendor), among its training drawings; none when
/// fewer than kValDrawings + kMinTrainDrawings of them exist, so that it is still learned.
std::set<std::string> held_out_drawings(
    const std::string& id, const std::vector<std::pair<std::string, fs::path>>& drawings,
    std::uint64_t seed) {
    std::vector<std::pair<double, std::string>> ranked;
    for (const auto& [vendor, _] : drawings)
        if (vendor != kEmojiTestVendor)
            ranked.emplace_back(unit_hash(id + '/' + vendor, seed), vendor);
    if (ranked.size() < kValDrawings + kMinTrainDrawings) return {};
    std::sort(ranked.begin(), ranked.end());
    std::set<std::string> out;
    for (std::size_t i = 0; i < kValDrawings; ++i) out.insert(ranked[i].second);
    return out;
}

constexpr std::array<const char*, 5> kToneNames = {"light", "medium-light", "medium", "medium-dark",
                                                   "dark"};

/// code point key -> image file, for each selected style (rasterized into the cache first),
/// its skin tones audited (corpus/tone_audit.h).
using StyleFiles = std::vector<std::pair<std::string, std::unordered_map<std::string, fs::path>>>;

StyleFiles prepare_styles(const EmojiCorpusOptions& o, const fs::path& nm, const SlugIndex& slugs,
                          const std::set<std::string>& keys, EmojiCorpusStats& stats) {
    StyleFiles out;
    if (o.styles.empty()) return out;
    fs::path cache = !o.cache.empty() ? o.cache : o.out.empty() ? fs::path() : o.out / "cache";
    QISS_CHECK(!cache.empty(), "drawing styles need a cache folder: set --out or --cache");
    cache = fs::absolute(cache);
    for (const auto& name : o.styles) {
        const EmojiStyle* it = find_style(name);
        // Twitter's images (and anything derived from Twemoji) stay the untouched test gallery.
        QISS_ASSERT(it->vendor != kEmojiTestVendor &&
                    it->package.find("twemoji") == std::string::npos);
        auto images = list_style_images(*it, nm, slugs);
        // Only images of the corpus's identities (packages also hold emoji of their own).
        std::erase_if(images, [&](const StyleImage& im) { return !keys.count(im.key); });
        std::vector<fs::path> files;
        if (it->layout == StyleLayout::DatasourcePng) {
            for (const auto& im : images) files.push_back(im.file);
        } else {
            std::string version = package_version(nm, it->package);
            fs::path dir = cache / (it->package + "@" + version) / it->vendor;
            StyleCacheStats cs;
            files = cache_style_images(images, dir, kEmojiImageSize, o.threads, cs);
            spdlog::info("style {}: {} images ({} rasterized, {} cached, {} failed)", it->vendor,
                         images.size(), cs.rendered, cs.reused, cs.failed);
            stats.rendered += cs.rendered;
            stats.reused += cs.reused;
            stats.failed += cs.failed;
        }
        out.push_back({it->vendor, {}});
        auto& by_key = out.back().second;
        for (std::size_t i = 0; i < images.size(); ++i)
            if (!files[i].empty()) by_key.emplace(images[i].key, files[i]);
        const ToneAudit audit = audit_skin_tones(by_key);
        if (audit.exchanged > 0)
            spdlog::warn(
                "style {}: {} of {} skin-tone families draw {} as {} and the other way "
                "round: put back",
                it->vendor, audit.exchanged, audit.families,
                kToneNames[static_cast<std::size_t>(audit.pair)],
                kToneNames[static_cast<std::size_t>(audit.pair) + 1]);
        if (audit.dropped > 0)
            spdlog::warn("style {}: {} of {} skin-tone families drawn out of tone order: left out",
                         it->vendor, audit.dropped, audit.families);
        stats.tone_families_exchanged[it->vendor] = audit.exchanged;
        stats.tone_families_dropped[it->vendor] = audit.dropped;
    }
    return out;
}

}  // namespace

std::vector<ManifestEntry> build_emoji_corpus(const EmojiCorpusOptions& o,
                                              EmojiCorpusStats& stats) {
    const fs::path nm = fs::absolute(o.node_modules);
    fs::path emoji_json = nm / "emoji-datasource" / "emoji.json";
    QISS_CHECK(fs::is_regular_file(emoji_json),
               "{} not found: run scripts/install-deps.sh (or pass --node-modules)",
               emoji_json.string());
    QISS_CHECK(o.val_fraction >= 0 && o.val_fraction < 1, "--val-fraction must be in [0,1)");
    for (const auto& name : o.styles) find_style(name);

    std::unordered_map<std::string, EntryTexts> by_char;
    auto locales = read_cldr(nm / "cldr-annotations-full" / "annotations", "annotations", by_char);
    auto derived = read_cldr(nm / "cldr-annotations-derived-full" / "annotationsDerived",
                             "annotationsDerived", by_char);
    locales.insert(derived.begin(), derived.end());
    stats.locales = locales.size();

    // Identities: each emoji and each of its skin-tone variations.
    struct Identity {
        std::string unified;
        json entry;  // has image + has_img_<vendor>
    };
    std::vector<Identity> ids;
    json all = json::parse(read_file_bytes(emoji_json));
    for (const auto& e : all) {
        ids.push_back({e.at("unified").get<std::string>(), e});
        if (e.contains("skin_variations"))
            for (const auto& [_, v] : e["skin_variations"].items())
                ids.push_back({v.at("unified").get<std::string>(), v});
    }

    // English names -> code points, for styles that name their icons only; ambiguous names out.
    SlugIndex slugs;
    std::set<std::string> ambiguous;
    for (const auto& ident : ids) {
        auto found = by_char.find(strip_fe0f(utf8_from_unified(ident.unified)));
        if (found == by_char.end()) continue;
        auto en = found->second.captions.find("en");
        if (en == found->second.captions.end() || en->second.empty()) continue;
        std::string slug = name_slug(en->second.front());
        if (!slugs.emplace(slug, codepoint_key(ident.unified)).second) ambiguous.insert(slug);
    }
    for (const auto& a : ambiguous) slugs.erase(a);
    std::set<std::string> keys;
    for (const auto& ident : ids) keys.insert(codepoint_key(ident.unified));
    StyleFiles styles = prepare_styles(o, nm, slugs, keys, stats);

    std::vector<ManifestEntry> out;
    for (const auto& ident : ids) {
        std::string id = lower(ident.unified);
        std::string key = strip_fe0f(utf8_from_unified(ident.unified));
        auto found = by_char.find(key);
        const bool held_out = unit_hash(id, o.seed) < o.val_fraction;
        // One text set per identity, shared by all of its images.
        std::shared_ptr<const EntryTexts> texts;
        if (found != by_char.end()) {
            auto t = std::make_shared<EntryTexts>(found->second);
            std::erase_if(t->captions, [](const auto& kv) { return kv.second.empty(); });
            std::erase_if(t->keywords, [](const auto& kv) { return kv.second.empty(); });
            if (!t->empty()) texts = std::move(t);
        }
        std::vector<std::pair<std::string, fs::path>> drawings;  // (vendor, image)
        for (const auto& vendor : kEmojiVendors) {
            if (!ident.entry.value("has_img_" + vendor, false)) continue;
            fs::path img = nm / ("emoji-datasource-" + vendor) / "img" / vendor / "64" /
                           ident.entry.at("image").get<std::string>();
            if (fs::is_regular_file(img)) drawings.emplace_back(vendor, std::move(img));
        }
        std::string cp = codepoint_key(ident.unified);
        for (const auto& [vendor, by_key] : styles) {
            auto f = by_key.find(cp);
            if (f != by_key.end()) drawings.emplace_back(vendor, f->second);
        }
        if (drawings.empty()) continue;
        const std::set<std::string> val_vendors =
            held_out ? held_out_drawings(id, drawings, o.seed) : std::set<std::string>{};
        for (auto& [vendor, img] : drawings) {
            ManifestEntry m;
            m.path = std::move(img);
            m.id = id;
            m.vendor = vendor;
            m.split = vendor == kEmojiTestVendor  ? Split::Test
                      : val_vendors.count(vendor) ? Split::Val
                                                  : Split::Train;
            m.texts = texts;
            stats.images_per_vendor[vendor]++;
            stats.images_per_split[split_name(m.split)]++;
            out.push_back(std::move(m));
        }
        stats.identities++;
        if (found == by_char.end()) stats.without_captions++;
    }
    return out;
}

}  // namespace qiss
