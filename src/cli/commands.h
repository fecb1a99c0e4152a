#pragma once
// Each subcommand lives in its own cmd_<name>.cpp and registers itself here.
#include <functional>
#include <vector>

#include <CLI/CLI.hpp>

namespace qiss::cli {

struct Command {
    CLI::App* app = nullptr;
    std::function<int()> run;  ///< returns the process exit code
};

Command register_corpus(CLI::App& app);
Command register_train(CLI::App& app);
Command register_eval(CLI::App& app);
Command register_embed(CLI::App& app);
Command register_index(CLI::App& app);
Command register_search(CLI::App& app);
Command register_rm(CLI::App& app);
Command register_info(CLI::App& app);
Command register_serve(CLI::App& app);

inline void register_all(CLI::App& app, std::vector<Command>& out) {
    out.push_back(register_corpus(app));
    out.push_back(register_train(app));
    out.push_back(register_eval(app));
    out.push_back(register_embed(app));
    out.push_back(register_index(app));
    out.push_back(register_search(app));
    out.push_back(register_rm(app));
    out.push_back(register_info(app));
    out.push_back(register_serve(app));
}

}  // namespace qiss::cli
