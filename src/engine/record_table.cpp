#include "engine/record_table.h"

#include <algorithm>

#include "common/error_kind.h"

namespace qiss {
namespace {

constexpr char kSeparator = '\x1f';

}  // namespace

std::uint32_t RecordTable::intern(const std::string& text) {
    auto [it, added] = interned_.try_emplace(text, static_cast<std::uint32_t>(interned_.size()));
    return it->second;
}

std::int64_t RecordTable::find(const std::string& text) const {
    const auto it = interned_.find(text);
    return it == interned_.end() ? -1 : it->second;
}

void RecordTable::insert(const ImageRecord& r) {
    Row row;
    row.id = r.id;
    row.added_ms = r.added_unix_ms;
    row.width = r.width;
    row.height = r.height;
    row.format = intern(format_key(r.format));
    row.root = intern(r.root);
    row.source = r.source;
    std::string relative = qiss::relative_source(r);
    if (row.source.ends_with(relative)) {
        row.relative_at = row.source.size() - relative.size();
    } else {
        row.relative = std::move(relative);
    }
    if (r.metadata.is_object()) {
        for (const auto& item : r.metadata.items()) {
            const std::string& name = item.key();
            const nlohmann::json& value = item.value();
            field_names_.insert(name);
            const auto add = [&](const nlohmann::json& v) {
                const std::string text = field_value_text(v);
                if (!text.empty()) row.values.push_back(intern(name + kSeparator + text));
            };
            if (value.is_array()) {
                for (const auto& v : value) add(v);
            } else {
                add(value);
            }
        }
    }
    std::sort(row.values.begin(), row.values.end());
    row.values.erase(std::unique(row.values.begin(), row.values.end()), row.values.end());
    const auto at = std::lower_bound(rows_.begin(), rows_.end(), r.id,
                                     [](const Row& a, std::uint64_t id) { return a.id < id; });
    if (at != rows_.end() && at->id == r.id) {
        if (!at->live) ++live_;
        *at = std::move(row);
        return;
    }
    rows_.insert(at, std::move(row));
    ++live_;
}

void RecordTable::erase(std::uint64_t id) {
    const auto at = std::lower_bound(rows_.begin(), rows_.end(), id,
                                     [](const Row& a, std::uint64_t i) { return a.id < i; });
    if (at == rows_.end() || at->id != id || !at->live) return;
    at->live = false;
    at->values.clear();
    at->source.clear();
    at->relative.clear();
    --live_;
    // Compact when most rows are dead, so that selections scan live ones.
    if (rows_.size() > 1024 && live_ < rows_.size() / 2)
        std::erase_if(rows_, [](const Row& row) { return !row.live; });
}

void RecordTable::sync(const ImageStore& store) {
    if (!built_) {
        rows_.clear();
        live_ = 0;
        seq_ = store.for_each_record([&](const ImageRecord& r) { insert(r); });
        built_ = true;
        return;
    }
    std::vector<std::pair<StoreOp, std::uint64_t>> ops;
    seq_ = store.for_each_op_after(seq_, [&](std::uint64_t, StoreOp op, std::uint64_t id,
                                             const float*) { ops.emplace_back(op, id); });
    for (const auto& [op, id] : ops) {
        if (op == StoreOp::Remove) {
            erase(id);
        } else if (auto record = store.get(id)) {
            insert(*record);
        }  // else removed since: a later entry of the log says so
    }
}

IdSet RecordTable::select(const Filter& f) const {
    for (const auto& [name, accepted] : f.fields)
        QISS_CHECK_KIND(field_names_.count(name), not_found,
                        "no image of the collection has the field '{}'", name);
    // Conditions on interned values become sets of accepted numbers; a value no record has
    // matches nothing.
    const auto numbers = [&](const std::vector<std::string>& texts, const std::string& prefix) {
        std::vector<std::uint32_t> out;
        for (const std::string& t : texts)
            if (const auto n = find(prefix + t); n >= 0)
                out.push_back(static_cast<std::uint32_t>(n));
        std::sort(out.begin(), out.end());
        return out;
    };
    const std::vector<std::uint32_t> formats = numbers(f.formats, "");
    std::vector<std::vector<std::uint32_t>> fields;
    for (const auto& [name, accepted] : f.fields)
        fields.push_back(numbers(accepted, name + kSeparator));
    const std::int64_t root = f.root ? find(*f.root) : 0;
    std::vector<std::uint64_t> ids;
    if ((f.root && root < 0) || (!f.formats.empty() && formats.empty()) ||
        std::any_of(fields.begin(), fields.end(), [](const auto& v) { return v.empty(); }))
        return IdSet(std::move(ids));
    for (const Row& row : rows_) {
        if (!row.live) continue;
        if (f.root && row.root != root) continue;
        if (f.source_prefix &&
            !(f.relative_sources ? row.relative_source() : std::string_view(row.source))
                 .starts_with(*f.source_prefix))
            continue;
        if ((f.added_after && row.added_ms < *f.added_after) ||
            (f.added_before && row.added_ms >= *f.added_before))
            continue;
        if ((f.min_width && row.width < *f.min_width) ||
            (f.max_width && row.width > *f.max_width) ||
            (f.min_height && row.height < *f.min_height) ||
            (f.max_height && row.height > *f.max_height))
            continue;
        if (!formats.empty() && !std::binary_search(formats.begin(), formats.end(), row.format))
            continue;
        // A row holds few values, a condition may accept many: look each value up.
        const bool fields_match =
            std::all_of(fields.begin(), fields.end(), [&](const auto& accepted) {
                return std::any_of(row.values.begin(), row.values.end(), [&](std::uint32_t v) {
                    return std::binary_search(accepted.begin(), accepted.end(), v);
                });
            });
        if (fields_match) ids.push_back(row.id);
    }
    return IdSet(std::move(ids));
}

}  // namespace qiss
