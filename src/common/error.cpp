#include "common/error.h"

#include <cstdio>
#include <cstdlib>

namespace qiss {

void assert_failed(const char* expr, const char* file, int line, const std::string& msg) {
    std::fprintf(stderr, "qiss: internal error: assertion '%s' failed at %s:%d %s\n", expr, file,
                 line, msg.c_str());
    std::abort();
}

}  // namespace qiss
