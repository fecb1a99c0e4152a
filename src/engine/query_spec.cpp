#include "engine/query_spec.h"

#include "common/error.h"
#include "text/utf8.h"

namespace qiss {

void validate_query(const Query& q, const QueryLimits& limits) {
    QISS_CHECK(q.k >= 1 && q.k <= limits.max_k, "k must be between 1 and {} (got {})", limits.max_k,
               q.k);
    QISS_CHECK(q.offset >= 0 && q.offset <= limits.max_offset,
               "offset must be between 0 and {} (got {})", limits.max_offset, q.offset);
    QISS_CHECK(!q.collapse || (*q.collapse > 0 && *q.collapse <= 1),
               "collapse must be a cosine in (0, 1] (got {})", q.collapse.value_or(0));
    // Folding compares each candidate with every kept result: bound the page it may reach.
    QISS_CHECK(!q.collapse || q.offset + q.k <= limits.max_k,
               "a collapsed search reaches at most result {} (offset + k; got {})", limits.max_k,
               q.offset + q.k);
    switch (q.kind) {
        case Query::Kind::Text:
            QISS_CHECK(is_valid_utf8(q.text), "the query text is not valid UTF-8");
            QISS_CHECK(q.text.find_first_not_of(" \t\r\n") != std::string::npos,
                       "the query text is empty");
            QISS_CHECK(q.text.size() <= limits.max_text_bytes,
                       "the query text has {} bytes; the limit is {}", q.text.size(),
                       limits.max_text_bytes);
            return;
        case Query::Kind::Image:
            QISS_CHECK(!q.image.empty(), "the query image is empty");
            return;
        case Query::Kind::Id:
            return;
    }
}

}  // namespace qiss
