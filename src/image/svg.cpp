#include "image/svg.h"

#include <algorithm>
#include <bit>
#include <memory>

#include <cairo.h>
#include <librsvg/rsvg.h>

#include "common/error.h"

namespace qiss {
namespace {

struct GObjectUnref {
    void operator()(void* p) const { g_object_unref(p); }
};
struct GErrorFree {
    void operator()(GError* e) const { g_error_free(e); }
};
struct SurfaceDestroy {
    void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoDestroy {
    void operator()(cairo_t* c) const { cairo_destroy(c); }
};

std::string take_message(GError* e) {
    std::unique_ptr<GError, GErrorFree> owned(e);
    return owned ? owned->message : "unknown error";
}

}  // namespace

cv::Mat rasterize_svg(std::string_view svg, int size, const std::string& what,
                      const SvgLimits& limits) {
    QISS_CHECK(size > 0 && size <= limits.max_size, "{}: raster size {} outside 1..{}", what, size,
               limits.max_size);
    QISS_CHECK(!svg.empty(), "{}: empty SVG document", what);
    QISS_CHECK(svg.size() <= limits.max_bytes, "{}: SVG document of {} bytes exceeds {}", what,
               svg.size(), limits.max_bytes);

    // No base file: every reference outside the document is refused by librsvg.
    std::unique_ptr<GInputStream, GObjectUnref> stream(
        g_memory_input_stream_new_from_data(svg.data(), static_cast<gssize>(svg.size()), nullptr));
    GError* err = nullptr;
    std::unique_ptr<RsvgHandle, GObjectUnref> handle(rsvg_handle_new_from_stream_sync(
        stream.get(), nullptr, RSVG_HANDLE_FLAGS_NONE, nullptr, &err));
    if (!handle) QISS_THROW("{}: invalid SVG: {}", what, take_message(err));

    std::unique_ptr<cairo_surface_t, SurfaceDestroy> surface(
        cairo_image_surface_create(CAIRO_FORMAT_ARGB32, size, size));
    QISS_CHECK(cairo_surface_status(surface.get()) == CAIRO_STATUS_SUCCESS,
               "{}: cannot allocate a {}x{} surface", what, size, size);
    {
        std::unique_ptr<cairo_t, CairoDestroy> cr(cairo_create(surface.get()));
        RsvgRectangle viewport{0, 0, static_cast<double>(size), static_cast<double>(size)};
        if (!rsvg_handle_render_document(handle.get(), cr.get(), &viewport, &err))
            QISS_THROW("{}: cannot render SVG: {}", what, take_message(err));
        QISS_CHECK(cairo_status(cr.get()) == CAIRO_STATUS_SUCCESS, "{}: cairo error: {}", what,
                   cairo_status_to_string(cairo_status(cr.get())));
    }
    cairo_surface_flush(surface.get());

    // cairo's ARGB32 is premultiplied, native-endian: bytes B, G, R, A on little-endian.
    static_assert(std::endian::native == std::endian::little, "ARGB32 byte order assumed");
    const unsigned char* data = cairo_image_surface_get_data(surface.get());
    const int stride = cairo_image_surface_get_stride(surface.get());
    cv::Mat out(size, size, CV_8UC4);
    for (int y = 0; y < size; ++y) {
        const unsigned char* src = data + static_cast<std::ptrdiff_t>(y) * stride;
        auto* dst = out.ptr<unsigned char>(y);
        for (int x = 0; x < size; ++x, src += 4, dst += 4) {
            unsigned a = src[3];
            for (int c = 0; c < 3; ++c)
                dst[c] =
                    a == 0
                        ? 0
                        : static_cast<unsigned char>(std::min(255u, (src[c] * 255u + a / 2) / a));
            dst[3] = static_cast<unsigned char>(a);
        }
    }
    return out;
}

}  // namespace qiss
