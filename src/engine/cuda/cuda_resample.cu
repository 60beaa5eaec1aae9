/* The CUDA backend's output at any size (issue 18): the model's output,
 * tile by tile in an RGB24 frame on the device (cuda_frame_tile), is
 * resampled to the size asked and blended with the input resampled there
 * (the detail strength), then converted to I420; only that crosses to the
 * host. The arithmetic is frame/resample.h's, on the same tables, so the
 * bytes equal vsr_resample_yuv420's on the host (bench/device/cuda_psnr.c
 * resample checks it). */
#include <stddef.h>

#include <new>

#include "engine/cuda/cuda_plan.h"

namespace vsrcuda
{

/* One axis's table: built on the host (vsr_resample_table_make), copied
 * to the device when it changes. */
struct DevTable {
    vsr_resample_table host = {};
    int *first = nullptr;
    float *weight = nullptr;
    size_t first_cap = 0, weight_cap = 0;
};

struct ResampleState {
    unsigned char *frame = nullptr; /* the model's output, RGB24 */
    size_t frame_cap = 0;
    unsigned char *in_rgb = nullptr; /* the input, RGB24, for the blend */
    size_t in_rgb_cap = 0;
    float *rows_m = nullptr, *rows_i = nullptr; /* the x pass's rows */
    size_t rows_m_cap = 0, rows_i_cap = 0;
    unsigned char *i420 = nullptr;
    size_t i420_cap = 0;
    DevTable mx, my, ix, iy;
};

namespace
{

template <class T> int grow(T **buf, size_t *cap, size_t count, const char *what, vsr_error *err)
{
    if (count <= *cap)
        return 0;
    cudaFree(*buf);
    *buf = nullptr;
    *cap = 0;
    CU(cudaMalloc((void **)buf, count * sizeof(T)), what);
    *cap = count;
    return 0;
}

int state(Ctx *c, ResampleState **s, vsr_error *err)
{
    if (!c->resample) {
        c->resample = new (std::nothrow) ResampleState();
        if (!c->resample)
            return vsr_error_set(err, VSR_ERR_NOMEM, "cuda: out of host memory");
    }
    *s = c->resample;
    return 0;
}

void free_table(DevTable &t)
{
    vsr_resample_table_free(&t.host);
    cudaFree(t.first);
    cudaFree(t.weight);
    t.first = nullptr;
    t.weight = nullptr;
    t.first_cap = t.weight_cap = 0;
}

/* t for in -> out, on the device; unchanged tables are not copied again.
 * The copies are ordered on the stream before the kernels that read them;
 * the host table is kept until then (a pageable copy is staged at once). */
int table(Ctx *c, DevTable &t, int in, int out, vsr_resample_filter f, vsr_error *err)
{
    if (t.first && t.host.in == in && t.host.out == out && t.host.filter == f)
        return 0;
    int rc = vsr_resample_table_make(&t.host, in, out, f, err);
    if (rc)
        return rc;
    const size_t nw = (size_t)out * t.host.taps;
    if ((rc = grow(&t.first, &t.first_cap, (size_t)out, "allocating a resample table", err)) ||
        (rc = grow(&t.weight, &t.weight_cap, nw, "allocating a resample table", err))) {
        vsr_resample_table_free(&t.host);
        return rc;
    }
    cudaError_t e = cudaMemcpyAsync(t.first, t.host.first, (size_t)out * sizeof(int),
                                    cudaMemcpyHostToDevice, c->stream);
    if (e == cudaSuccess)
        e = cudaMemcpyAsync(t.weight, t.host.weight, nw * sizeof(float), cudaMemcpyHostToDevice,
                            c->stream);
    if (e != cudaSuccess) {
        vsr_resample_table_free(&t.host); /* copied again next time */
        return cu_fail(err, e, "uploading a resample table", __FILE__, __LINE__);
    }
    return 0;
}

inline int blocks_for(long long n, int threads)
{
    long long b = (n + threads - 1) / threads;
    if (b > 2147483647LL)
        b = 2147483647LL;
    return (int)(b < 1 ? 1 : b);
}

/* The x pass: rows (h x out_w x 3 floats) from src (w x h RGB24). */
__global__ void k_resample_x(const unsigned char *src, int w, int h, const int *first,
                             const float *weight, int taps, int out_w, float *rows)
{
    long long total = (long long)out_w * h;
    for (long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x; p < total;
         p += (long long)gridDim.x * blockDim.x) {
        const int y = (int)(p / out_w), x = (int)(p - (long long)y * out_w);
        vsr_resample_x(src + (size_t)y * w * 3, w, first[x], weight + (size_t)x * taps, taps,
                       rows + p * 3);
    }
}

struct YPass {
    const float *rows; /* NULL: not blended in */
    int h;
    const int *first;
    const float *weight;
    int taps;
};

/* The y pass, the blend and the I420 conversion: one thread per 2x2
 * block of the output. */
__global__ void k_resample_y_i420(YPass m, YPass in, float detail, int out_w, int out_h,
                                  const vsr_yuv_coeffs k, unsigned char *out)
{
    const int cw = out_w / 2;
    const long long blocks = (long long)cw * (out_h / 2);
    const size_t len = (size_t)out_w * 3;
    unsigned char *cb = out + (long long)out_w * out_h, *cr = cb + blocks;
    for (long long b = blockIdx.x * (long long)blockDim.x + threadIdx.x; b < blocks;
         b += (long long)gridDim.x * blockDim.x) {
        const int by = (int)(b / cw), bx = (int)(b - (long long)by * cw);
        unsigned char px[12], luma[4];
        for (int q = 0; q < 4; ++q) {
            const int x = 2 * bx + (q & 1), y = 2 * by + (q >> 1);
            float vm[3] = {0.f, 0.f, 0.f}, vi[3] = {0.f, 0.f, 0.f};
            if (m.rows)
                vsr_resample_y(m.rows, len, m.h, x, m.first[y], m.weight + (size_t)y * m.taps,
                               m.taps, vm);
            if (in.rows)
                vsr_resample_y(in.rows, len, in.h, x, in.first[y], in.weight + (size_t)y * in.taps,
                               in.taps, vi);
            vsr_resample_blend(vm, vi, detail, px + 3 * q);
        }
        vsr_yuv_block(&k, px, luma, cb + b, cr + b);
        unsigned char *y0 = out + (long long)(2 * by) * out_w + 2 * bx;
        y0[0] = luma[0];
        y0[1] = luma[1];
        y0[out_w] = luma[2];
        y0[out_w + 1] = luma[3];
    }
}

/* A whole 4:2:0 frame on this device to compact RGB24 (vsr_yuv_in_pixel). */
__global__ void k_yuv_in_to_rgb24(const vsr_yuv_in f, const vsr_rgb_coeffs k, unsigned char *out)
{
    long long total = (long long)f.width * f.height;
    for (long long p = blockIdx.x * (long long)blockDim.x + threadIdx.x; p < total;
         p += (long long)gridDim.x * blockDim.x) {
        const int y = (int)(p / f.width), x = (int)(p - (long long)y * f.width);
        vsr_yuv_in_pixel(&f, &k, x, y, out + p * 3);
    }
}

/* The input, RGB24 on the device, for the blend. */
int input_rgb(Ctx *c, ResampleState *s, const unsigned char *in, size_t in_stride,
              const vsr_yuv_in *yuv, const vsr_rgb_coeffs *kin, int w, int h, vsr_error *err)
{
    const size_t bytes = (size_t)w * h * 3;
    int rc = grow(&s->in_rgb, &s->in_rgb_cap, bytes, "allocating the input frame", err);
    if (rc)
        return rc;
    if (in) {
        if (in_stride == (size_t)w * 3)
            return h2d_staged(c, s->in_rgb, in, bytes, err);
        CU(cudaMemcpy2DAsync(s->in_rgb, (size_t)w * 3, in, in_stride, (size_t)w * 3, h,
                             cudaMemcpyHostToDevice, c->stream),
           "copying the input to the device");
        return 0;
    }
    vsr_yuv_in f;
    if ((rc = stage_yuv(c, yuv, 0, 1, &f, err)))
        return rc;
    k_yuv_in_to_rgb24<<<blocks_for((long long)w * h, 256), 256, 0, c->stream>>>(f, *kin, s->in_rgb);
    CU(cudaGetLastError(), "converting the input to RGB");
    return 0;
}

/* The x pass of src (w x h) through tables tx, ty into rows. */
int pass_x(Ctx *c, const unsigned char *src, int w, int h, DevTable &tx, DevTable &ty, int out_w,
           int out_h, vsr_resample_filter f, float **rows, size_t *cap, YPass *y, vsr_error *err)
{
    int rc = table(c, tx, w, out_w, f, err);
    if (rc == 0)
        rc = table(c, ty, h, out_h, f, err);
    if (rc == 0)
        rc = grow(rows, cap, (size_t)h * out_w * 3, "allocating the resample rows", err);
    if (rc)
        return rc;
    k_resample_x<<<blocks_for((long long)out_w * h, 256), 256, 0, c->stream>>>(
        src, w, h, tx.first, tx.weight, tx.host.taps, out_w, *rows);
    CU(cudaGetLastError(), "resampling along x");
    *y = YPass{*rows, h, ty.first, ty.weight, ty.host.taps};
    return 0;
}

} // namespace

int resample_frame(Ctx *c, int fw, int fh, unsigned char **frame, vsr_error *err)
{
    ResampleState *s = nullptr;
    int rc = state(c, &s, err);
    if (rc == 0)
        rc = grow(&s->frame, &s->frame_cap, (size_t)fw * fh * 3, "allocating the model's frame",
                  err);
    *frame = rc ? nullptr : s->frame;
    return rc;
}

int cuda_frame_yuv420(void *p, const unsigned char *in, size_t in_stride, const vsr_yuv_in *yuv,
                      const vsr_rgb_coeffs *kin, int in_w, int in_h, int fw, int fh,
                      const vsr_resample *rs, int out_w, int out_h, const vsr_yuv_coeffs *k,
                      unsigned char *out, vsr_error *err)
{
    Ctx *c = (Ctx *)p;
    const bool with_m = rs->detail > 0.f, with_i = rs->detail < 1.f;
    if (out_w < 2 || out_h < 2 || out_w % 2 || out_h % 2)
        return vsr_error_set(err, VSR_ERR_INVALID, "cuda: YUV 4:2:0 output %dx%d is odd", out_w,
                             out_h);
    if (with_i && !in && !yuv)
        return vsr_error_set(err, VSR_ERR_INVALID, "cuda: no input to blend");
    CU(cudaSetDevice(c->device), "selecting the device");
    ResampleState *s = nullptr;
    int rc = state(c, &s, err);
    if (rc)
        return rc;
    if (with_m && (!s->frame || s->frame_cap < (size_t)fw * fh * 3 || fw < 1 || fh < 1))
        return vsr_error_set(err, VSR_ERR_INVALID, "cuda: no model frame of %dx%d to resample", fw,
                             fh);
    YPass m = {}, i = {};
    if (with_m)
        rc = pass_x(c, s->frame, fw, fh, s->mx, s->my, out_w, out_h, rs->filter, &s->rows_m,
                    &s->rows_m_cap, &m, err);
    if (rc == 0 && with_i) {
        rc = input_rgb(c, s, in, in_stride, yuv, kin, in_w, in_h, err);
        if (rc == 0)
            rc = pass_x(c, s->in_rgb, in_w, in_h, s->ix, s->iy, out_w, out_h, rs->input_filter,
                        &s->rows_i, &s->rows_i_cap, &i, err);
    }
    const size_t bytes = (size_t)out_w * out_h * 3 / 2;
    if (rc == 0)
        rc = grow(&s->i420, &s->i420_cap, bytes, "allocating the output frame", err);
    if (rc == 0) {
        k_resample_y_i420<<<blocks_for((long long)(out_w / 2) * (out_h / 2), 256), 256, 0,
                            c->stream>>>(m, i, rs->detail, out_w, out_h, *k, s->i420);
        cudaError_t e = cudaGetLastError();
        rc = e == cudaSuccess ? d2h_staged(c, out, s->i420, bytes, err)
                              : cu_fail(err, e, "resampling along y", __FILE__, __LINE__);
    }
    if (rc < 0) {
        cudaStreamSynchronize(c->stream);
        cudaGetLastError();
    }
    return rc;
}

void resample_free(Ctx *c)
{
    ResampleState *s = c->resample;
    if (!s)
        return;
    cudaFree(s->frame);
    cudaFree(s->in_rgb);
    cudaFree(s->rows_m);
    cudaFree(s->rows_i);
    cudaFree(s->i420);
    free_table(s->mx);
    free_table(s->my);
    free_table(s->ix);
    free_table(s->iy);
    delete s;
    c->resample = nullptr;
}

} // namespace vsrcuda
