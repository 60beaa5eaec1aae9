/* The cpu backend on a CPU without native bf16, simulated by capping
 * oneDNN's ISA at AVX512_CORE (ONEDNN_MAX_CPU_ISA, read once per process,
 * so this is a test executable of its own): bf16 is refused with a clear
 * error from weights_create and context_create, fp32 still runs and its
 * convolutions still use an optimized implementation. */
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "engine/cpu/cpu_backend.h"
#include "model/model_registry.h"
#include "test_util.h"

static void no_ref_conv(void *user, const char *layer, const char *kind, const char *impl)
{
    int *bad = user;
    if (strcmp(kind, "convolution") == 0 && strstr(impl, "ref")) {
        fprintf(stderr, "layer %s: %s on %s\n", layer, kind, impl);
        (*bad)++;
    }
}

int main(void)
{
    setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE", 1);
    vsr_error err = {0};
    CHECK(vsr_cpu_bf16_supported(&err) == 0);
    CHECK_MSG(strstr(err.msg, "bf16") && strstr(err.msg, "AVX512_BF16"), "%s", err.msg);

    vsr_graph g;
    int rc = vsr_model_load("realesr-animevideov3", 4, NULL, &g, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc)
        return test_report("test_cpu_nobf16");

    vsr_backend_config bf16 = {.precision = VSR_PRECISION_BF16},
                       fp32 = {.precision = VSR_PRECISION_FP32};
    void *w = NULL, *ctx = NULL;
    vsr_error_clear(&err);
    CHECK(vsr_backend_cpu.weights_create(&g, &bf16, &w, &err) == VSR_ERR_UNSUPPORTED);
    CHECK(w == NULL);
    CHECK_MSG(strstr(err.msg, "bf16") != NULL, "%s", err.msg);

    rc = vsr_backend_cpu.weights_create(&g, &fp32, &w, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    vsr_error_clear(&err);
    CHECK(vsr_backend_cpu.context_create(&g, w, &bf16, &ctx, &err) == VSR_ERR_UNSUPPORTED);
    CHECK_MSG(strstr(err.msg, "bf16") != NULL, "%s", err.msg);

    rc = vsr_backend_cpu.context_create(&g, w, &fp32, &ctx, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (!rc) {
        vsr_tensor in = {1, 3, 8, 8, calloc(3 * 64, sizeof(float))};
        vsr_tensor out = {1, 3, 32, 32, calloc(3 * 1024, sizeof(float))};
        rc = vsr_backend_cpu.run(ctx, &in, &out, &err);
        CHECK_MSG(rc == 0, "%s", err.msg);
        int bad = 0;
        CHECK(vsr_cpu_context_impls(ctx, no_ref_conv, &bad) > 0);
        CHECK(bad == 0);
        free(in.data);
        free(out.data);
        vsr_backend_cpu.context_destroy(ctx);
    }
    if (w)
        vsr_backend_cpu.weights_destroy(w);
    vsr_graph_free(&g);
    return test_report("test_cpu_nobf16");
}
