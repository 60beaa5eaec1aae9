/* The CUDA backend's 8-bit paths: packed RGB24 or a decoded 4:2:0 frame
 * (on the host, this GPU or another) in, RGB24 or I420 out, converted on
 * the device so that only 8-bit frames cross the bus. */
#include <stddef.h>

#include "engine/cuda/cuda_plan.h"

namespace vsrcuda
{

namespace
{

/* Grows a device byte buffer to at least bytes. */
int ensure_device_bytes(unsigned char **buf, size_t *cap, size_t bytes, vsr_error *err)
{
    if (bytes <= *cap)
        return 0;
    cudaFree(*buf);
    *buf = nullptr;
    *cap = 0;
    CU(cudaMalloc((void **)buf, bytes), "allocating an 8-bit frame buffer");
    *cap = bytes;
    return 0;
}

/* The 8-bit paths on a batch of n inputs of w x h: load(i, dst, err)
 * enqueues input i into dst (its place in the graph's input), the graph
 * runs once, then convert(src, h, w, dst, stream) enqueues the conversion
 * of output i's region (ox, oy, ow, oh) into d_u8_out + i x out_bytes; all
 * enqueued, nothing waited for. */
template <class Load, class Convert>
int enqueue_8bit(Ctx *c, int n, int w, int h, int ox, int oy, int ow, int oh, size_t out_bytes,
                 Load load, Convert convert, vsr_error *err)
{
    const vsr_graph *g = c->W->g;
    if (g->in_channels != 3 || g->out_channels != 3)
        return vsr_error_set(err, VSR_ERR_INVALID, "cuda: the 8-bit path needs an RGB model");
    int rc = select_and_plan(c, n, h, w, err);
    if (rc < 0)
        return rc;
    const vsr_shape &os = c->shapes[g->output_blob];
    if (ox < 0 || oy < 0 || ow < 1 || oh < 1 || ox + ow > os.w || oy + oh > os.h)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "cuda: output region %dx%d at %d,%d outside %dx%d", ow, oh, ox, oy,
                             os.w, os.h);
    rc = ensure_device_bytes(&c->d_u8_out, &c->u8_out_cap, (size_t)n * out_bytes, err);
    for (int i = 0; i < n && rc == 0; i++)
        rc = load(i, c->d_in + c->in_count / n * i, err);
    if (rc == 0)
        rc = run_graph(c, nullptr, err);
    for (int i = 0; i < n && rc == 0; i++)
        convert(c->d_out + c->out_count / n * i, os.h, os.w, c->d_u8_out + out_bytes * i,
                c->stream);
    return rc;
}

/* A failed run leaves the stream drained and no sticky error behind. */
int drain_after(Ctx *c, int rc)
{
    if (rc < 0) {
        cudaStreamSynchronize(c->stream);
        cudaGetLastError();
    }
    return rc;
}

/* enqueue_8bit, then each output's out_bytes of d_u8_out copied back to
 * out[i]. */
template <class Load, class Convert>
int run_8bit(Ctx *c, int n, int w, int h, int ox, int oy, int ow, int oh, size_t out_bytes,
             unsigned char *const *out, Load load, Convert convert, vsr_error *err)
{
    int rc = enqueue_8bit(c, n, w, h, ox, oy, ow, oh, out_bytes, load, convert, err);
    for (int i = 0; i < n && rc == 0; i++)
        rc = d2h_staged(c, out[i], c->d_u8_out + out_bytes * i, out_bytes, err);
    return drain_after(c, rc);
}

/* Packed RGB24 from the host, through pinned staging, into place `slot`
 * of `slots` in d_u8_in, then dst. */
int load_rgb24(Ctx *c, const unsigned char *in, int slot, int slots, int w, int h, float *dst,
               vsr_error *err)
{
    const size_t bytes = (size_t)w * h * 3;
    int rc = ensure_device_bytes(&c->d_u8_in, &c->u8_in_cap, bytes * slots, err);
    unsigned char *staged = c->d_u8_in + bytes * slot;
    if (rc == 0)
        rc = h2d_staged(c, staged, in, bytes, err);
    if (rc == 0)
        launch_rgb24_to_nchw_f32(staged, dst, h, w, c->stream);
    return rc;
}

/* Copies plane (cols x rows bytes, rows stride apart) from wherever it is
 * (host, this or another GPU) to dst, compact. */
int copy_plane(Ctx *c, unsigned char *dst, const unsigned char *src, size_t stride, size_t cols,
               size_t rows, vsr_error *err)
{
    CU(cudaMemcpy2DAsync(dst, cols, src, stride, cols, rows, cudaMemcpyDefault, c->stream),
       "copying a decoded frame to the device");
    return 0;
}

} // namespace

/* A decoded 4:2:0 frame, readable on this device. For a frame on this GPU,
 * the decoder enqueued the copy into it on its stream (NULL: the legacy
 * default stream) before handing it over: our stream waits for that on
 * the GPU. A frame on another GPU is waited for there, and its planes (or
 * a frame's in host memory, device -1) are copied here first. */
int stage_yuv(Ctx *c, const vsr_yuv_in *in, int slot, int slots, vsr_yuv_in *out, vsr_error *err)
{
    cudaStream_t ready = in->ready_stream ? (cudaStream_t)in->ready_stream : cudaStreamLegacy;
    vsr_yuv_in f = *in;
    if (in->device == c->device) {
        CU(cudaEventRecord(c->ev_frame, ready), "waiting for the decoded frame");
        CU(cudaStreamWaitEvent(c->stream, c->ev_frame, 0), "waiting for the decoded frame");
    } else {
        if (in->device >= 0) {
            CU(cudaSetDevice(in->device), "selecting the decoder's device");
            cudaError_t e = cudaStreamSynchronize(ready);
            cudaError_t e2 = cudaSetDevice(c->device);
            CU(e, "waiting for the decoded frame on its device");
            CU(e2, "selecting the device");
        }
        /* NV12: one interleaved plane; I420: Cb then Cr */
        const size_t luma = (size_t)in->width * in->height, ch = (size_t)(in->height + 1) / 2;
        const size_t row = (size_t)(in->width + 1) / 2 * in->chroma_step;
        const size_t chroma = in->chroma_step == 2 ? row * ch : 2 * row * ch;
        int rc = ensure_device_bytes(&c->d_u8_in, &c->u8_in_cap, (luma + chroma) * slots, err);
        unsigned char *staged = c->d_u8_in + (luma + chroma) * slot;
        if (rc == 0)
            rc = copy_plane(c, staged, in->luma, in->luma_stride, in->width, in->height, err);
        if (rc == 0)
            rc = copy_plane(c, staged + luma, in->cb, in->chroma_stride, row, ch, err);
        if (rc == 0 && in->chroma_step != 2)
            rc = copy_plane(c, staged + luma + row * ch, in->cr, in->chroma_stride, row, ch, err);
        if (rc < 0)
            return rc;
        f.luma = staged;
        f.luma_stride = in->width;
        f.cb = staged + luma;
        f.cr = in->chroma_step == 2 ? f.cb + 1 : f.cb + row * ch;
        f.chroma_stride = row;
        f.device = c->device;
    }
    *out = f;
    return 0;
}

namespace
{

/* A region of a decoded 4:2:0 frame into dst (the graph's input), staged
 * in place `slot` of `slots` where it must be copied first. */
int load_yuv(Ctx *c, const vsr_yuv_in *in, const vsr_rgb_coeffs *kin, int slot, int slots, int x0,
             int y0, int w, int h, float *dst, vsr_error *err)
{
    vsr_yuv_in f;
    int rc = stage_yuv(c, in, slot, slots, &f, err);
    if (rc == 0)
        launch_yuv_in_to_nchw_f32(f, *kin, x0, y0, w, h, dst, c->stream);
    return rc;
}

/* Only the encoder's YUV frames (half of RGB24's bytes) come back. */
template <class Load>
int run_to_yuv420(Ctx *c, int n, int w, int h, int ox, int oy, int ow, int oh,
                  const vsr_yuv_coeffs *k, unsigned char *const *out, Load load, vsr_error *err)
{
    if (ow % 2 || oh % 2)
        return vsr_error_set(err, VSR_ERR_INVALID, "cuda: YUV 4:2:0 region %dx%d is odd", ow, oh);
    return run_8bit(
        c, n, w, h, ox, oy, ow, oh, (size_t)ow * oh * 3 / 2, out, load,
        [&](const float *src, int sh, int sw, unsigned char *dst, cudaStream_t st) {
            launch_nchw_f32_to_i420(src, sh, sw, ox, oy, ow, oh, *k, dst, st);
        },
        err);
}

} // namespace

int cuda_run_rgb24(void *p, const unsigned char *in, int w, int h, int ox, int oy, int ow, int oh,
                   unsigned char *out, vsr_error *err)
{
    Ctx *c = (Ctx *)p;
    return run_8bit(
        c, 1, w, h, ox, oy, ow, oh, (size_t)ow * oh * 3, &out,
        [&](int, float *dst, vsr_error *e) { return load_rgb24(c, in, 0, 1, w, h, dst, e); },
        [&](const float *src, int sh, int sw, unsigned char *dst, cudaStream_t st) {
            launch_nchw_f32_to_rgb24(src, sh, sw, ox, oy, ow, oh, dst, st);
        },
        err);
}

int cuda_run_yuv420(void *p, const unsigned char *in, int w, int h, int ox, int oy, int ow, int oh,
                    const vsr_yuv_coeffs *k, unsigned char *out, vsr_error *err)
{
    return cuda_run_batch_yuv420(p, 1, &in, nullptr, nullptr, 0, 0, w, h, ox, oy, ow, oh, k, &out,
                                 err);
}

/* The decoder's frame never leaves the GPU: only the YUV output comes to
 * the host. */
int cuda_run_from_yuv(void *p, const vsr_yuv_in *in, const vsr_rgb_coeffs *kin, int x0, int y0,
                      int w, int h, int ox, int oy, int ow, int oh, const vsr_yuv_coeffs *k,
                      unsigned char *out, vsr_error *err)
{
    return cuda_run_batch_yuv420(p, 1, nullptr, in, kin, x0, y0, w, h, ox, oy, ow, oh, k, &out,
                                 err);
}

/* n frames in one batch: every conv launch has n frames' tiles for the
 * SMs (realesrgan-x4plus at 960x540: 2,700 at n = 2 against 1,350, 132
 * SMs on an H100), which fills the launches' last waves. */
int cuda_run_batch_yuv420(void *p, int n, const unsigned char *const *rgb, const vsr_yuv_in *yuv,
                          const vsr_rgb_coeffs *kin, int x0, int y0, int w, int h, int ox, int oy,
                          int ow, int oh, const vsr_yuv_coeffs *k, unsigned char *const *out,
                          vsr_error *err)
{
    Ctx *c = (Ctx *)p;
    if (n < 1 || n > VSR_MAX_BATCH)
        return vsr_error_set(err, VSR_ERR_INVALID, "cuda: a batch of %d frames (1..%d)", n,
                             VSR_MAX_BATCH);
    return run_to_yuv420(
        c, n, w, h, ox, oy, ow, oh, k, out,
        [&](int i, float *dst, vsr_error *e) {
            return rgb ? load_rgb24(c, rgb[i], i, n, w, h, dst, e)
                       : load_yuv(c, &yuv[i], kin, i, n, x0, y0, w, h, dst, e);
        },
        err);
}

/* The output region as RGB24 into the context's frame on the device
 * (resample_frame), not back to the host: output at any size (issue 18). */
int cuda_frame_tile(void *p, const unsigned char *in, const vsr_yuv_in *yuv,
                    const vsr_rgb_coeffs *kin, int x0, int y0, int w, int h, int ox, int oy, int ow,
                    int oh, int fw, int fh, int dx, int dy, vsr_error *err)
{
    Ctx *c = (Ctx *)p;
    if (dx < 0 || dy < 0 || dx + ow > fw || dy + oh > fh)
        return vsr_error_set(err, VSR_ERR_INVALID,
                             "cuda: tile %dx%d at %d,%d outside the %dx%d frame", ow, oh, dx, dy,
                             fw, fh);
    CU(cudaSetDevice(c->device), "selecting the device");
    unsigned char *frame = nullptr;
    int rc = resample_frame(c, fw, fh, &frame, err);
    if (rc < 0)
        return rc;
    auto load = [&](int, float *dst, vsr_error *e) {
        return yuv ? load_yuv(c, yuv, kin, 0, 1, x0, y0, w, h, dst, e)
                   : load_rgb24(c, in, 0, 1, w, h, dst, e);
    };
    rc = enqueue_8bit(
        c, 1, w, h, ox, oy, ow, oh, (size_t)ow * oh * 3, load,
        [&](const float *src, int sh, int sw, unsigned char *dst, cudaStream_t st) {
            launch_nchw_f32_to_rgb24(src, sh, sw, ox, oy, ow, oh, dst, st);
        },
        err);
    if (rc == 0) {
        cudaError_t e = cudaMemcpy2DAsync(frame + ((size_t)dy * fw + dx) * 3, (size_t)fw * 3,
                                          c->d_u8_out, (size_t)ow * 3, (size_t)ow * 3, oh,
                                          cudaMemcpyDeviceToDevice, c->stream);
        if (e != cudaSuccess)
            rc = cu_fail(err, e, "placing a tile in the frame", __FILE__, __LINE__);
    }
    return drain_after(c, rc);
}

} // namespace vsrcuda
