#include "store/record_codec.h"

#include "common/error.h"
#include "common/error_kind.h"
#include "common/json_number.h"
#include "store/lmdb_env.h"

namespace qiss {

std::string encode_record(const ImageRecord& r) {
    QISS_CHECK(r.metadata.is_object(), "metadata of {} must be a JSON object", r.source);
    nlohmann::json j = {{"source", r.source},     {"content_hash", r.content_hash},
                        {"width", r.width},       {"height", r.height},
                        {"format", r.format},     {"caption", r.caption},
                        {"metadata", r.metadata}, {"added_unix_ms", r.added_unix_ms}};
    if (!r.root.empty()) j["root"] = r.root;
    try {
        return j.dump();
    } catch (const nlohmann::json::exception& e) {
        QISS_THROW("cannot store the record of {}: {}", r.source, e.what());
    }
}

ImageRecord decode_record(std::uint64_t id, std::string_view bytes) {
    ImageRecord r;
    r.id = id;
    try {
        const auto j = nlohmann::json::parse(bytes);
        r.source = j.value("source", "");
        r.root = j.value("root", "");
        r.content_hash = j.value("content_hash", "");
        r.width = json_value(j, "width", 0);
        r.height = json_value(j, "height", 0);
        r.format = j.value("format", "");
        r.caption = j.value("caption", "");
        r.metadata = j.value("metadata", nlohmann::json::object());
        r.added_unix_ms = json_value(j, "added_unix_ms", std::int64_t{0});
    } catch (const nlohmann::json::exception& e) {
        QISS_THROW_KIND(storage, "image store is corrupted (record {}: {})", id, e.what());
    }
    return r;
}

std::string encode_log_entry(const LogEntry& entry) {
    std::string out(1, static_cast<char>(entry.op));
    out.append(lmdb::be64(entry.id));
    return out;
}

LogEntry decode_log_entry(std::uint64_t seq, std::string_view bytes) {
    QISS_CHECK_KIND(bytes.size() == 9, storage, "image store is corrupted (log entry {})", seq);
    const auto op = static_cast<StoreOp>(bytes[0]);
    QISS_CHECK(op == StoreOp::Add || op == StoreOp::Remove,
               "image store is corrupted (log entry {} has operation {})", seq,
               static_cast<int>(bytes[0]));
    return {op, lmdb::from_be64(bytes.substr(1))};
}

}  // namespace qiss
