// The test clients write to servers that tests stop or kill mid-request. A write to a connection
// the server has closed must fail with EPIPE, as it does for a real client (curl and browsers
// ignore SIGPIPE), not kill the test process: cpp-httplib 0.11 sends without MSG_NOSIGNAL.
#include <csignal>

namespace {
const bool sigpipe_ignored = (std::signal(SIGPIPE, SIG_IGN), true);
}  // namespace
