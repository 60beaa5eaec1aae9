#include "media/frame_dump.h"

#include <libavcodec/avcodec.h>
#include <openssl/evp.h>
#include <stdio.h>

/* SHA-256 of n planes of rows. OpenSSL's, not FFmpeg's plain C one: a
 * worker hashing 3840x2160 frames spent ~95 ms a frame in av_sha on the
 * H100 host (bench/results/2026-12-07-h100-rrdb-10.md, call 51), twice the
 * network's time. */
static int planes_sha256(int n, const uint8_t *const *plane, const size_t *stride,
                         const size_t *row_bytes, const int *rows, char hex[VSR_SHA256_HEX],
                         vsr_error *err)
{
    EVP_MD_CTX *sha = EVP_MD_CTX_new();
    int ok = sha && EVP_DigestInit_ex(sha, EVP_sha256(), NULL);
    for (int p = 0; ok && p < n; p++)
        for (int y = 0; ok && y < rows[p]; y++)
            ok = EVP_DigestUpdate(sha, plane[p] + (size_t)y * stride[p], row_bytes[p]);
    unsigned char digest[32];
    unsigned int len = 0;
    ok = ok && EVP_DigestFinal_ex(sha, digest, &len) && len == sizeof digest;
    EVP_MD_CTX_free(sha);
    if (!ok)
        return vsr_error_set(err, VSR_ERR_INTERNAL, "frame hash: OpenSSL's SHA-256 failed");
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return VSR_OK;
}

int vsr_frame_sha256(const vsr_image *img, char hex[VSR_SHA256_HEX], vsr_error *err)
{
    if (img->format != VSR_PIX_RGB24)
        return vsr_error_set(err, VSR_ERR_INVALID, "frame hash needs RGB24");
    const uint8_t *plane = img->data;
    size_t row = (size_t)img->width * 3;
    return planes_sha256(1, &plane, &img->stride, &row, &img->height, hex, err);
}

int vsr_yuv420_sha256(const vsr_yuv420 *img, char hex[VSR_SHA256_HEX], vsr_error *err)
{
    const uint8_t *planes[3] = {img->plane[0], img->plane[1], img->plane[2]};
    size_t rows_bytes[3] = {(size_t)img->width, (size_t)img->width / 2, (size_t)img->width / 2};
    int rows[3] = {img->height, img->height / 2, img->height / 2};
    return planes_sha256(3, planes, img->stride, rows_bytes, rows, hex, err);
}

int vsr_frame_write_png(const char *path, const vsr_image *img, vsr_error *err)
{
    if (img->format != VSR_PIX_RGB24)
        return vsr_error_set(err, VSR_ERR_INVALID, "%s: PNG dump needs RGB24", path);
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_PNG);
    if (!codec)
        return vsr_error_set(err, VSR_ERR_UNSUPPORTED, "%s: no PNG encoder in this FFmpeg", path);
    AVCodecContext *c = avcodec_alloc_context3(codec);
    AVFrame *f = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    FILE *fp = NULL;
    int ret = VSR_OK;
    if (!c || !f || !pkt) {
        ret = vsr_error_set(err, VSR_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    c->width = img->width;
    c->height = img->height;
    c->pix_fmt = AV_PIX_FMT_RGB24;
    c->time_base = (AVRational){1, 1};
    int r = avcodec_open2(c, codec, NULL);
    if (r < 0) {
        ret = vsr_error_set(err, VSR_ERR_INTERNAL, "%s: PNG encoder: %s", path, av_err2str(r));
        goto done;
    }
    /* The encoder only reads the frame: borrow the image's pixels. */
    f->format = AV_PIX_FMT_RGB24;
    f->width = img->width;
    f->height = img->height;
    f->data[0] = img->data;
    f->linesize[0] = (int)img->stride;
    r = avcodec_send_frame(c, f);
    if (r >= 0)
        r = avcodec_receive_packet(c, pkt);
    if (r < 0) {
        ret = vsr_error_set(err, VSR_ERR_INTERNAL, "%s: PNG encoding: %s", path, av_err2str(r));
        goto done;
    }
    fp = fopen(path, "wb");
    if (!fp || fwrite(pkt->data, 1, (size_t)pkt->size, fp) != (size_t)pkt->size) {
        ret = vsr_error_set(err, VSR_ERR_IO, "%s: cannot write", path);
        goto done;
    }
done:
    if (fp && fclose(fp) != 0 && ret == VSR_OK)
        ret = vsr_error_set(err, VSR_ERR_IO, "%s: cannot write", path);
    av_packet_free(&pkt);
    av_frame_free(&f);
    avcodec_free_context(&c);
    return ret;
}
