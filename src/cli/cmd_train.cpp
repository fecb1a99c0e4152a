// qiss train: tokenizer + dual-path model from a corpus manifest.
#include <sstream>

#include "cli/commands.h"
#include "common/error.h"
#include "train/trainer.h"

namespace qiss::cli {

Command register_train(CLI::App& app) {
    auto* sub = app.add_subcommand("train", "Train the dual-path model on a corpus manifest");
    auto o = std::make_shared<TrainOptions>();
    auto epochs = std::make_shared<int>(0);
    auto loss = std::make_shared<std::string>();
    auto exclude = std::make_shared<std::string>();
    auto exclude_vendors = std::make_shared<std::string>();
    sub->add_option("--corpus", o->corpus, "Corpus folder (manifest.jsonl) or manifest file")
        ->required();
    sub->add_option("--out", o->out, "Model file to write")->required();
    sub->add_option("--config", o->preset, "Preset: tiny or default")
        ->check(CLI::IsMember({"tiny", "default"}))
        ->capture_default_str();
    sub->add_option("--epochs", *epochs, "Epochs (default: the preset's)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--seed", o->seed, "Random seed")->capture_default_str();
    sub->add_option("--loss", *loss, "vse_max or infonce (default: the preset's)")
        ->check(CLI::IsMember({"vse_max", "infonce"}));
    sub->add_option("--exclude-langs", *exclude,
                    "Comma-separated languages left out of training (e.g. es,nl,pl)");
    sub->add_option("--exclude-vendors", *exclude_vendors,
                    "Comma-separated vendors (drawing styles) left out of training, e.g. google "
                    "to select recipes on it with `qiss eval --gallery-vendor google`");
    sub->add_option("--threads", o->threads, "Threads (0 = all cores)");
    sub->add_option("--set", o->overrides,
                    "Override a training setting, KEY=JSON (e.g. proxy_weight=0); repeatable");
    return {sub, [o, epochs, loss, exclude, exclude_vendors, sub] {
                if (*epochs > 0) o->epochs = *epochs;
                if (!loss->empty()) o->loss = *loss;
                auto split = [](const std::string& list, std::vector<std::string>& out) {
                    std::stringstream ss(list);
                    for (std::string item; std::getline(ss, item, ',');)
                        if (!item.empty()) out.push_back(item);
                };
                split(*exclude, o->exclude_langs);
                split(*exclude_vendors, o->exclude_vendors);
                std::ostringstream cmd;
                cmd << "qiss train";
                for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
                         {"--config", o->preset},
                         {"--seed", std::to_string(o->seed)},
                         {"--epochs", *epochs > 0 ? std::to_string(*epochs) : ""},
                         {"--loss", *loss},
                         {"--exclude-langs", *exclude},
                         {"--exclude-vendors", *exclude_vendors}})
                    if (!value.empty()) cmd << ' ' << name << ' ' << value;
                for (const auto& kv : o->overrides) cmd << " --set " << kv;
                o->command_line = cmd.str();
                train_model(*o);
                return 0;
            }};
}

}  // namespace qiss::cli
