/* The graph checks every size parameter against its limit before any
 * arithmetic on it (issue 20): a hostile model (ncnn or ONNX, or a loader
 * that forgot a check) with a huge pad, dilation, stride or output pad is
 * refused with a message naming the layer, never a signed overflow (UBSan
 * aborts the test on one) or a size that wrapped into something plausible. */
#include <limits.h>
#include <string.h>

#include "graph_builder.h"

/* A 3->3 node of type t (kernel 3, stride 1, pads 1) on the input, with
 * one field then set by the caller; finalize must refuse it. */
typedef void (*poke_fn)(vsr_node *n, int v);

static void expect_refused(const char *what, vsr_op_type t, poke_fn poke, int v, const char *needle)
{
    gb b;
    gb_init(&b, 4, 4, 4096);
    int out = gb_conv_like(&b, t, 0, 3, 3, 3, 1, 1);
    if (t == VSR_OP_PAD) {
        vsr_node *n = &b.g.nodes[0];
        memset(&n->p, 0, sizeof n->p);
    }
    poke(&b.g.nodes[0], v);
    b.g.output_blob = out;
    b.g.in_channels = 3;
    strcpy(b.g.blob_names[0], "input");
    vsr_error err = {0};
    int rc = vsr_graph_finalize(&b.g, &err);
    CHECK_MSG(rc != 0, "%s = %d: accepted", what, v);
    CHECK_MSG(strstr(err.msg, needle) && strstr(err.msg, "n0"), "%s = %d: message '%s' lacks '%s'",
              what, v, err.msg, needle);
    vsr_graph_free(&b.g);
}

static void pad_top(vsr_node *n, int v)
{
    n->p.conv.pad_top = v;
}
static void pad_right(vsr_node *n, int v)
{
    n->p.conv.pad_right = v;
}
static void dilation(vsr_node *n, int v)
{
    n->p.conv.dilation_w = v;
}
static void stride(vsr_node *n, int v)
{
    n->p.conv.stride_h = v;
}
static void kernel(vsr_node *n, int v)
{
    n->p.conv.kernel_h = v;
}
static void out_pad(vsr_node *n, int v)
{
    n->p.conv.out_pad_w = v;
}
static void pad_node_bottom(vsr_node *n, int v)
{
    n->p.pad.bottom = v;
}
static void pad_node_left(vsr_node *n, int v)
{
    n->p.pad.left = v;
}

int main(void)
{
    const int huge[] = {INT_MAX, 1 << 30, 1000000, -5};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        int v = huge[i];
        expect_refused("conv pad_top", VSR_OP_CONV, pad_top, v, "pad");
        expect_refused("conv pad_right", VSR_OP_CONV, pad_right, v, "pad");
        expect_refused("group conv pad_top", VSR_OP_GROUP_CONV, pad_top, v, "pad");
        expect_refused("deconv pad_top", VSR_OP_DECONV, pad_top, v, "pad");
        expect_refused("conv dilation", VSR_OP_CONV, dilation, v, "dilation");
        expect_refused("deconv dilation", VSR_OP_DECONV, dilation, v, "dilation");
        expect_refused("conv stride", VSR_OP_CONV, stride, v, "stride");
        expect_refused("deconv stride", VSR_OP_DECONV, stride, v, "stride");
        expect_refused("conv kernel", VSR_OP_CONV, kernel, v, "kernel");
        expect_refused("deconv output pad", VSR_OP_DECONV, out_pad, v, "output pad");
        expect_refused("Pad bottom", VSR_OP_PAD, pad_node_bottom, v, "pad");
        expect_refused("Pad left", VSR_OP_PAD, pad_node_left, v, "pad");
    }
    /* Zero: a stride or dilation of 0 is no size at all. */
    expect_refused("conv stride", VSR_OP_CONV, stride, 0, "stride");
    expect_refused("conv dilation", VSR_OP_CONV, dilation, 0, "dilation");

    /* The largest values allowed still finalize (or fail on the scale, not
     * on arithmetic): a dilated 3x3 with padding that keeps the size. */
    gb b;
    gb_init(&b, 4, 4, 4096);
    int out = gb_conv_like(&b, VSR_OP_CONV, 0, 3, 3, 3, 1, 1);
    vsr_conv_params *c = &b.g.nodes[0].p.conv;
    c->dilation_h = c->dilation_w = VSR_MAX_DILATION;
    c->pad_top = c->pad_left = c->pad_bottom = c->pad_right = VSR_MAX_DILATION;
    CHECK(gb_finish(&b, out) == 0);
    CHECK(b.g.scale == 1 && b.g.receptive_radius == VSR_MAX_DILATION);
    vsr_graph_free(&b.g);
    return test_report("test_graph_limits");
}
