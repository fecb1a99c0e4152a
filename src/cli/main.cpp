// qiss: multilingual image similarity search. One binary, one subcommand per task.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/version.h"
#include "common/error.h"
#include "model/tensor_memory.h"

int main(int argc, char** argv) {
    qiss::keep_tensor_memory();
    CLI::App app{"qiss: multilingual image similarity search"};
    app.set_version_flag(
        "--version", [] { return qiss::cli::version_text(); },
        "Version, commit, libraries, CPU features, plugin and model locations");
    app.require_subcommand(1);
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "More logging");

    std::vector<qiss::cli::Command> commands;
    qiss::cli::register_all(app, commands);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    // Logs go to stderr; stdout carries results (JSON, vectors, tables).
    spdlog::set_default_logger(spdlog::stderr_color_mt("qiss"));
    spdlog::set_pattern("[%H:%M:%S] %^%l%$ %v");
    spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);
    for (auto& c : commands) {
        if (!c.app->parsed()) continue;
        try {
            return c.run();
        } catch (const qiss::Error& e) {
            spdlog::error("{}", e.what());
            return 1;
        } catch (const std::exception& e) {
            spdlog::error("unexpected error: {}", e.what());
            return 2;
        }
    }
    return 0;
}
