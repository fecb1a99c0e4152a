#pragma once
/// @file record_codec.h
/// The byte forms of the image store's values (docs/format.md, "Image store"): an image's
/// record (a JSON object) and an operation-log entry (the operation's byte, then the image id,
/// 8 bytes big-endian). Kept apart from the LMDB code so that they can be tested and fuzzed on
/// their own.

#include <cstdint>
#include <string>
#include <string_view>

#include "store/image_store.h"

namespace qiss {

/// The stored form of a record (its id is the key, not part of the value). Throws qiss::Error
/// if the metadata is not a JSON object or a string is not valid UTF-8.
std::string encode_record(const ImageRecord& r);

/// Reads a stored record. Missing fields take their defaults. Throws qiss::Error of kind
/// storage for bytes that are not a record.
ImageRecord decode_record(std::uint64_t id, std::string_view bytes);

/// An operation-log entry.
struct LogEntry {
    StoreOp op = StoreOp::Add;
    std::uint64_t id = 0;
};

/// The stored form of a log entry.
std::string encode_log_entry(const LogEntry& entry);

/// Reads the log entry of sequence number `seq`. Throws qiss::Error for another size or an
/// unknown operation.
LogEntry decode_log_entry(std::uint64_t seq, std::string_view bytes);

}  // namespace qiss
