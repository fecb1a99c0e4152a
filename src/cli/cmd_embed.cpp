// qiss embed: print the joint-space vector of a text or an image.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/error.h"
#include "image/image_io.h"
#include "model/model.h"

namespace qiss::cli {

Command register_embed(CLI::App& app) {
    auto* sub = app.add_subcommand("embed", "Print the embedding of a text or an image");
    struct Args {
        std::string model, text, image;
    };
    auto a = std::make_shared<Args>();
    sub->add_option("--model", a->model, "Model file")->required();
    auto* t = sub->add_option("--text", a->text, "Text in any language");
    auto* i = sub->add_option("--image", a->image, "Image file");
    t->excludes(i);
    return {sub, [a, t, i] {
                QISS_CHECK(t->count() + i->count() == 1, "give exactly one of --text or --image");
                if (t->count()) QISS_CHECK(!a->text.empty(), "--text is empty");
                Model model = Model::load(a->model);
                torch::Tensor v = t->count() ? model.embed_texts({a->text})
                                             : model.embed_images({read_image(a->image).rgb});
                auto acc = v.accessor<float, 2>();
                std::string out = "[";
                for (int64_t d = 0; d < acc.size(1); ++d)
                    out += fmt::format("{}{:.6f}", d ? "," : "", acc[0][d]);
                std::cout << out << "]" << std::endl;
                return 0;
            }};
}

}  // namespace qiss::cli
